// DefaultIngressClass admission (plugin/pkg/admission/network/defaultingressclass): a new Ingress
// that names no class (neither spec.ingressClassName nor the deprecated kubernetes.io/ingress.class
// annotation) gets the class annotated ingressclass.kubernetes.io/is-default-class: "true". Should
// several be marked, the newest wins, then the first by name (as 1.33); with none the Ingress is left
// as it is.
import {
  ANNOTATION_INGRESS_CLASS,
  ANNOTATION_IS_DEFAULT_INGRESS_CLASS,
  type Ingress,
  type IngressClass,
  newestFirst,
} from '@mkube/shared/api';
import { newForbidden } from '@mkube/shared/apierrors';
import type { ClusterLister } from '../../registry/lister.js';
import type { AdmissionPlugin } from '../types.js';

export const DEFAULT_INGRESS_CLASS_PLUGIN = 'DefaultIngressClass';

/** getDefaultClass: newest first, ties by name. */
export function defaultIngressClass(classes: readonly IngressClass[]): IngressClass | undefined {
  return classes
    .filter((c) => c.metadata.annotations?.[ANNOTATION_IS_DEFAULT_INGRESS_CLASS] === 'true')
    .sort(newestFirst)[0];
}

export function defaultIngressClassAdmission(lister: ClusterLister<IngressClass>): AdmissionPlugin {
  return {
    name: DEFAULT_INGRESS_CLASS_PLUGIN,
    handles: (op) => op === 'CREATE',
    async admit(a) {
      if (a.group !== 'networking.k8s.io' || a.resource !== 'ingresses' || a.subresource) return;
      const ing = a.object as Ingress | undefined;
      if (!ing || ing.spec?.ingressClassName != null) return;
      if (ing.metadata.annotations?.[ANNOTATION_INGRESS_CLASS] !== undefined) return;
      let def: IngressClass | undefined;
      try {
        def = defaultIngressClass(await lister.list());
      } catch (e) {
        throw newForbidden({ group: a.group, resource: a.resource }, a.generatedFrom ?? a.name, (e as Error).message);
      }
      if (!def) return;
      ing.spec ??= {};
      ing.spec.ingressClassName = def.metadata.name;
    },
  };
}
