// Priority admission (plugin/pkg/admission/priority): a new pod gets spec.priority and
// spec.preemptionPolicy from the PriorityClass it names, or from the global default class (whose
// name it then takes), else 0 and PreemptLowerPriority. A pod may state either only as the class
// says; an update that leaves them out keeps the stored ones (the spec may not change them). A
// PriorityClass may become the global default only while no other class is one.
import type { Pod, PodSpec, PreemptionPolicy, PriorityClass } from '@mkube/shared/api';
import { newForbidden } from '@mkube/shared/apierrors';
import type { PriorityClassLister } from '../../registry/scheduling/lister.js';
import { DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS } from '../../registry/scheduling/system.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../types.js';

export const PRIORITY_PLUGIN = 'Priority';

/** A pod as it reaches the plugin: one without a spec is left to validation. */
type PodWithSpec = Pod & { spec: PodSpec };

const isPod = (a: AdmissionAttributes) => a.group === '' && a.resource === 'pods';
const isPriorityClass = (a: AdmissionAttributes) => a.group === 'scheduling.k8s.io' && a.resource === 'priorityclasses';

/** admission.NewForbidden: before its name is generated a pod is named by its generateName. */
const forbidden = (a: AdmissionAttributes, why: string) =>
  newForbidden({ group: a.group, resource: a.resource }, a.generatedFrom ?? a.name, why);

/** Should a race leave several defaults, the one with the lowest value counts. */
async function defaultClass(lister: PriorityClassLister): Promise<PriorityClass | undefined> {
  let found: PriorityClass | undefined;
  for (const pc of await lister.list()) {
    if (pc.globalDefault && (!found || found.value > pc.value)) found = pc;
  }
  return found;
}

interface Resolved {
  readonly className: string;
  readonly priority: number;
  readonly preemptionPolicy: PreemptionPolicy | undefined;
}

async function resolve(a: AdmissionAttributes, pod: PodWithSpec, lister: PriorityClassLister): Promise<Resolved> {
  const name = pod.spec.priorityClassName ?? '';
  if (!name) {
    const dpc = await defaultClass(lister);
    if (dpc) return { className: dpc.metadata.name ?? '', priority: dpc.value, preemptionPolicy: dpc.preemptionPolicy };
    return {
      className: '',
      priority: DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS,
      preemptionPolicy: 'PreemptLowerPriority',
    };
  }
  const pc = await lister.get(name);
  if (!pc) throw forbidden(a, `no PriorityClass with name ${name} was found`);
  return { className: name, priority: pc.value, preemptionPolicy: pc.preemptionPolicy };
}

async function admitPodCreate(a: AdmissionAttributes, pod: PodWithSpec, lister: PriorityClassLister): Promise<void> {
  const r = await resolve(a, pod, lister);
  const spec = pod.spec;
  if (!spec.priorityClassName) {
    if (r.className) spec.priorityClassName = r.className;
    else delete spec.priorityClassName;
  }
  if (spec.priority !== undefined && spec.priority !== null && spec.priority !== r.priority) {
    throw forbidden(
      a,
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${r.priority} from the given PriorityClass name`,
    );
  }
  spec.priority = r.priority;
  if (r.preemptionPolicy === undefined) return;
  if (spec.preemptionPolicy && spec.preemptionPolicy !== r.preemptionPolicy) {
    throw forbidden(
      a,
      `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${r.preemptionPolicy} from the given PriorityClass name`,
    );
  }
  spec.preemptionPolicy = r.preemptionPolicy;
}

/** What this plugin set on create stays when an update leaves it out. */
function keepOnUpdate(pod: PodWithSpec, old: Pod | undefined): void {
  if (!old?.spec) return;
  if ((pod.spec.priority === undefined || pod.spec.priority === null) && old.spec.priority !== undefined)
    pod.spec.priority = old.spec.priority;
  if (!pod.spec.preemptionPolicy && old.spec.preemptionPolicy) pod.spec.preemptionPolicy = old.spec.preemptionPolicy;
}

export function priorityAdmission(lister: PriorityClassLister): AdmissionPlugin {
  return {
    name: PRIORITY_PLUGIN,
    handles: (op) => op === 'CREATE' || op === 'UPDATE',
    async admit(a) {
      if (a.subresource || !isPod(a)) return;
      const pod = a.object as Pod | undefined;
      if (!pod?.spec) return;
      const p = pod as PodWithSpec;
      if (a.operation === 'UPDATE') keepOnUpdate(p, a.oldObject as Pod | undefined);
      else await admitPodCreate(a, p, lister);
    },
    async validate(a) {
      if (a.subresource || !isPriorityClass(a)) return;
      const pc = a.object as PriorityClass | undefined;
      if (!pc?.globalDefault) return;
      const dpc = await defaultClass(lister);
      if (!dpc) return;
      // A second default, or another class turning default while one is.
      if (a.operation === 'CREATE' || dpc.metadata.name !== pc.metadata.name) {
        throw forbidden(
          a,
          `PriorityClass ${dpc.metadata.name} is already marked as default. Only one default can exist`,
        );
      }
    },
  };
}
