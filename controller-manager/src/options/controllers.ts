// kube-controller-manager's --controllers: names, aliases (1.28+), which are off by default, which
// need feature gates, and upstream's enable rule: "-name" disables, "name" enables, "*" enables
// everything on by default.
import type { Feature, FeatureGate } from '@mkube/shared/featuregate';

export interface ControllerDescriptor {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly disabledByDefault?: boolean;
  /** Enabled or not, it does not start unless every one of these gates is on. */
  readonly requiredFeatureGates?: readonly Feature[];
}

export const CONTROLLERS: readonly ControllerDescriptor[] = [
  { name: 'certificatesigningrequest-signing-controller', aliases: ['csrsigning'] },
  { name: 'certificatesigningrequest-approving-controller', aliases: ['csrapproving'] },
  { name: 'certificatesigningrequest-cleaner-controller', aliases: ['csrcleaner'] },
  {
    name: 'podcertificaterequest-cleaner-controller',
    aliases: [],
    requiredFeatureGates: ['PodCertificateRequest'],
  },
  // mkube's, beyond upstream (kubernetes#73356): see certificates/servingapprover.ts.
  { name: 'kubelet-serving-approver-controller', aliases: ['kubelet-serving-approver'] },
  { name: 'bootstrap-signer-controller', aliases: ['bootstrapsigner'], disabledByDefault: true },
  { name: 'token-cleaner-controller', aliases: ['tokencleaner'], disabledByDefault: true },
  { name: 'root-ca-certificate-publisher-controller', aliases: ['root-ca-cert-publisher'] },
  {
    name: 'kube-apiserver-serving-clustertrustbundle-publisher-controller',
    aliases: [],
    requiredFeatureGates: ['ClusterTrustBundle'],
  },
  { name: 'serviceaccount-token-controller', aliases: ['serviceaccount-token'] },
  { name: 'serviceaccount-controller', aliases: ['serviceaccount'] },
  { name: 'legacy-serviceaccount-token-cleaner-controller', aliases: ['legacy-serviceaccount-token-cleaner'] },
  { name: 'clusterrole-aggregation-controller', aliases: ['clusterrole-aggregation'] },
  { name: 'node-lifecycle-controller', aliases: ['nodelifecycle'] },
  { name: 'taint-eviction-controller', aliases: [] },
  { name: 'pod-garbage-collector-controller', aliases: ['podgc'] },
  { name: 'namespace-controller', aliases: ['namespace'] },
  { name: 'disruption-controller', aliases: ['disruption'] },
  { name: 'garbage-collector-controller', aliases: ['garbagecollector'] },
  { name: 'replicaset-controller', aliases: ['replicaset'] },
  { name: 'replicationcontroller-controller', aliases: ['replicationcontroller'] },
  { name: 'deployment-controller', aliases: ['deployment'] },
  { name: 'daemonset-controller', aliases: ['daemonset'] },
  { name: 'statefulset-controller', aliases: ['statefulset'] },
  { name: 'persistentvolume-binder-controller', aliases: ['persistentvolume-binder'] },
  { name: 'persistentvolumeclaim-protection-controller', aliases: ['pvc-protection'] },
  { name: 'persistentvolume-protection-controller', aliases: ['pv-protection'] },
  { name: 'ephemeral-volume-controller', aliases: ['ephemeral-volume'] },
  { name: 'job-controller', aliases: ['job'] },
  { name: 'cronjob-controller', aliases: ['cronjob'] },
  { name: 'ttl-after-finished-controller', aliases: ['ttl-after-finished'] },
  // MultiCIDRServiceAllocator (GA in 1.33, locked on): no alias, it came after the 1.28 renames.
  { name: 'service-cidr-controller', aliases: [] },
  { name: 'resourcequota-controller', aliases: ['resourcequota'] },
  { name: 'horizontal-pod-autoscaler-controller', aliases: ['horizontalpodautoscaling'] },
];

export type ControllerName = (typeof CONTROLLERS)[number]['name'];

function canonical(name: string): string | undefined {
  return CONTROLLERS.find((c) => c.name === name || c.aliases.includes(name))?.name;
}

/** The enabled controller names, or a list of problems (unknown names). */
export function enabledControllers(list: readonly string[]): { enabled: Set<string>; problems: string[] } {
  const problems: string[] = [];
  const on = new Set<string>();
  const off = new Set<string>();
  let star = false;
  for (const raw of list) {
    const item = raw.trim();
    if (item === '*') {
      star = true;
      continue;
    }
    const neg = item.startsWith('-');
    const name = canonical(neg ? item.slice(1) : item);
    if (!name) {
      problems.push(`${JSON.stringify(item)} is not in the list of known controllers`);
      continue;
    }
    (neg ? off : on).add(name);
  }
  const enabled = new Set<string>();
  for (const c of CONTROLLERS) {
    if (off.has(c.name)) continue;
    if (on.has(c.name) || (star && !c.disabledByDefault)) enabled.add(c.name);
  }
  return { enabled, problems };
}

/** Enabled controllers that a feature gate they need keeps from starting. */
export function gatedOff(enabled: ReadonlySet<string>, gates: FeatureGate): ControllerDescriptor[] {
  return CONTROLLERS.filter(
    (c) => enabled.has(c.name) && (c.requiredFeatureGates ?? []).some((g) => !gates.enabled(g)),
  );
}
