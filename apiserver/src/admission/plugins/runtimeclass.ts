// RuntimeClass admission (plugin/pkg/admission/runtimeclass): a new pod naming a RuntimeClass gets
// the class's overhead as spec.overhead and its scheduling constraints merged into its nodeSelector
// and tolerations. Overhead is the class's to give: a pod that states a different one, or states one
// with no class overhead behind it, is refused.
import type { Pod, ResourceList, RuntimeClass } from '@mkube/shared/api';
import { newForbidden } from '@mkube/shared/apierrors';
import { tryParseQuantity } from '@mkube/shared/quantity';
import type { ClusterLister } from '../../registry/lister.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../types.js';
import { mergeTolerations } from './mergetolerations.js';

export const RUNTIME_CLASS_PLUGIN = 'RuntimeClass';

const isPod = (a: AdmissionAttributes) => a.group === '' && a.resource === 'pods' && !a.subresource;

/** admission.NewForbidden: before its name is generated a pod is named by its generateName. */
const forbidden = (a: AdmissionAttributes, why: string) =>
  newForbidden({ group: a.group, resource: a.resource }, a.generatedFrom ?? a.name, why);

const isSet = (v: unknown) => v !== undefined && v !== null;

/** apiequality.Semantic on ResourceLists: the same names, each the same amount; nil and empty alike. */
function sameResources(a: ResourceList | undefined | null, b: ResourceList | undefined | null): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  if (ka.length !== kb.length) return false;
  return ka.every((k) => {
    if (!(k in (b ?? {}))) return false;
    const x = tryParseQuantity(String(a![k]));
    const y = tryParseQuantity(String(b![k]));
    return x && y ? x.compare(y) === 0 : a![k] === b![k];
  });
}

/** prepareObjects: the pod's class, undefined for a pod that names none. */
async function classOf(
  a: AdmissionAttributes,
  pod: Pod,
  lister: ClusterLister<RuntimeClass>,
): Promise<RuntimeClass | undefined> {
  const name = pod.spec?.runtimeClassName;
  if (!isSet(name)) return undefined;
  const rc = await lister.get(name!);
  if (!rc) throw forbidden(a, `pod rejected: RuntimeClass "${name}" not found`);
  return rc;
}

const OVERHEAD_MISMATCH = "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead";

function setOverhead(a: AdmissionAttributes, pod: Pod, rc: RuntimeClass): void {
  if (!isSet(rc.overhead) || !pod.spec) return;
  const podFixed = rc.overhead!.podFixed;
  if (isSet(pod.spec.overhead) && !sameResources(podFixed, pod.spec.overhead)) throw forbidden(a, OVERHEAD_MISMATCH);
  if (isSet(podFixed)) pod.spec.overhead = { ...podFixed };
  else delete pod.spec.overhead;
}

function setScheduling(a: AdmissionAttributes, pod: Pod, rc: RuntimeClass): void {
  if (!isSet(rc.scheduling) || !pod.spec) return;
  const spec = pod.spec;
  const classSelector = rc.scheduling!.nodeSelector;
  if (!spec.nodeSelector) {
    if (classSelector) spec.nodeSelector = { ...classSelector };
  } else {
    for (const [key, value] of Object.entries(classSelector ?? {})) {
      const podValue = spec.nodeSelector[key];
      if (podValue !== undefined && podValue !== value) {
        throw forbidden(
          a,
          `conflict: runtimeClass.scheduling.nodeSelector[${key}] = ${value}; pod.spec.nodeSelector[${key}] = ${podValue}`,
        );
      }
      spec.nodeSelector[key] = value;
    }
  }
  const merged = mergeTolerations(spec.tolerations ?? [], rc.scheduling!.tolerations ?? []);
  if (merged.length) spec.tolerations = merged;
  else delete spec.tolerations;
}

function validateOverhead(a: AdmissionAttributes, pod: Pod, rc: RuntimeClass | undefined): void {
  if (rc && isSet(rc.overhead)) {
    if (!sameResources(rc.overhead!.podFixed, pod.spec?.overhead)) throw forbidden(a, OVERHEAD_MISMATCH);
  } else if (isSet(pod.spec?.overhead)) {
    throw forbidden(a, 'pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
  }
}

export function runtimeClassAdmission(lister: ClusterLister<RuntimeClass>): AdmissionPlugin {
  return {
    name: RUNTIME_CLASS_PLUGIN,
    handles: (op) => op === 'CREATE',
    async admit(a) {
      const pod = a.object as Pod | undefined;
      if (!isPod(a) || !pod) return;
      const rc = await classOf(a, pod, lister);
      if (!rc) return;
      setOverhead(a, pod, rc);
      setScheduling(a, pod, rc);
    },
    async validate(a) {
      const pod = a.object as Pod | undefined;
      if (!isPod(a) || !pod) return;
      validateOverhead(a, pod, await classOf(a, pod, lister));
    },
  };
}
