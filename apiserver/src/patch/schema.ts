// Strategic-merge-patch metadata for mkube's types: which lists merge, by which key, as the Go
// struct tags of k8s.io/api say (`patchStrategy`, `patchMergeKey`). A list absent from the schema
// is atomic (the patch replaces it); a map absent from it is merged key by key.

export type PatchStrategy = 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';

export interface PatchMeta {
  readonly strategy?: PatchStrategy;
  /** Merge key of a list of objects; absent for a merged list of scalars (a set). */
  readonly mergeKey?: string;
  /** The fields of the struct (or of each list element). */
  readonly fields?: Readonly<Record<string, PatchMeta>>;
}

export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

const mergeBy = (mergeKey: string, fields?: Record<string, PatchMeta>): PatchMeta => ({
  strategy: 'merge',
  mergeKey,
  ...(fields ? { fields } : {}),
});
const mergeSet: PatchMeta = { strategy: 'merge' };
const struct = (fields: Record<string, PatchMeta>): PatchMeta => ({ fields });

const objectMeta = struct({
  ownerReferences: mergeBy('uid'),
  finalizers: mergeSet,
});

const container = {
  ports: mergeBy('containerPort'),
  env: mergeBy('name'),
  volumeMounts: mergeBy('mountPath'),
  volumeDevices: mergeBy('devicePath'),
};

const podSpec = struct({
  volumes: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  initContainers: mergeBy('name', container),
  containers: mergeBy('name', container),
  ephemeralContainers: mergeBy('name', container),
  imagePullSecrets: mergeBy('name'),
  hostAliases: mergeBy('ip'),
});

const podStatus = struct({
  conditions: mergeBy('type'),
  podIPs: mergeBy('ip'),
  hostIPs: mergeBy('ip'),
});

const nodeSpec = struct({ podCIDRs: mergeSet });
const nodeStatus = struct({ conditions: mergeBy('type'), addresses: mergeBy('type') });

// ServiceSpec.ports is `patchStrategy:"merge" patchMergeKey:"port"` (its listMapKeys port+protocol are for
// server-side apply only); ServiceStatus.conditions merge by type. Everything else in Service, and all of
// Endpoints (subsets, addresses, ports), carries no patch tags: atomic lists, merged maps (spec.selector is
// mapType=atomic for apply, yet merged key by key by strategic merge patch).
const serviceSpec = struct({ ports: mergeBy('port') });
const serviceStatus = struct({ conditions: mergeBy('type') });

const withMeta = (fields: Record<string, PatchMeta> = {}): PatchMeta => struct({ metadata: objectMeta, ...fields });

// apps/v1 workloads: the template is a PodTemplateSpec (its spec patched as a pod's); status
// conditions merge by type. DeploymentSpec.strategy is retainKeys, which the patch itself carries.
const workload = withMeta({
  spec: struct({ template: struct({ metadata: objectMeta, spec: podSpec }) }),
  status: struct({ conditions: mergeBy('type') }),
});

/** `<group>/<Kind>` → schema of the whole object. Versions share one schema (all v1). */
const SCHEMAS: Readonly<Record<string, PatchMeta>> = {
  '/Namespace': withMeta({ status: struct({ conditions: mergeBy('type') }) }),
  '/Secret': withMeta(),
  '/ConfigMap': withMeta(),
  '/ServiceAccount': withMeta({ secrets: mergeBy('name') }),
  '/Node': withMeta({ spec: nodeSpec, status: nodeStatus }),
  '/Pod': withMeta({ spec: podSpec, status: podStatus }),
  '/Service': withMeta({ spec: serviceSpec, status: serviceStatus }),
  '/Endpoints': withMeta(),
  '/Event': withMeta(),
  // PersistentVolumeClaimStatus.conditions merge by type; nothing else in PVs, PVCs or StorageClasses has patch tags.
  '/PersistentVolume': withMeta(),
  '/PersistentVolumeClaim': withMeta({ status: struct({ conditions: mergeBy('type') }) }),
  'storage.k8s.io/StorageClass': withMeta(),
  // CSINodeSpec.drivers is `patchStrategy:"merge" patchMergeKey:"name"`; the CSIDriver's lists and
  // everything in a VolumeAttachment carry no patch tags.
  'storage.k8s.io/CSINode': withMeta({ spec: struct({ drivers: mergeBy('name') }) }),
  'storage.k8s.io/CSIDriver': withMeta(),
  'storage.k8s.io/CSIStorageCapacity': withMeta(),
  'storage.k8s.io/VolumeAttachment': withMeta(),
  // No other list in networking.k8s.io/v1 carries patch tags (all atomic): patches replace them whole.
  'networking.k8s.io/NetworkPolicy': withMeta(),
  'networking.k8s.io/Ingress': withMeta(),
  'networking.k8s.io/IngressClass': withMeta(),
  // ServiceCIDRStatus.conditions are `patchStrategy:"merge" patchMergeKey:"type"`; spec.cidrs is atomic.
  'networking.k8s.io/ServiceCIDR': withMeta({ status: struct({ conditions: mergeBy('type') }) }),
  'networking.k8s.io/IPAddress': withMeta(),
  // RuntimeClass carries no patch tags (scheduling.tolerations is listType=atomic).
  'node.k8s.io/RuntimeClass': withMeta(),
  '/PodTemplate': withMeta({ template: struct({ metadata: objectMeta, spec: podSpec }) }),
  // A ReplicaSet's patch tags (ReplicationControllerCondition merges by type too).
  '/ReplicationController': workload,
  // EndpointSlice endpoints and ports are listType=atomic without patch tags, as is every list inside them
  // (addresses is listType=set, hints.forZones/forNodes atomic): all replaced whole.
  'discovery.k8s.io/EndpointSlice': withMeta(),
  'apps/Deployment': workload,
  'apps/ReplicaSet': workload,
  'apps/DaemonSet': workload,
  'apps/StatefulSet': workload,
  'apps/ControllerRevision': withMeta(),
  'autoscaling/Scale': withMeta(),
  // Both versions: status.conditions (v2) is `patchStrategy:"merge" patchMergeKey:"type"`; metrics are atomic.
  'autoscaling/HorizontalPodAutoscaler': withMeta({ status: struct({ conditions: mergeBy('type') }) }),
  'coordination.k8s.io/Lease': withMeta(),
  // CSR conditions are listType=map but carry no patchStrategy tag: atomic for strategic merge patch.
  'certificates.k8s.io/CertificateSigningRequest': withMeta(),
  'rbac.authorization.k8s.io/Role': withMeta(),
  'rbac.authorization.k8s.io/ClusterRole': withMeta(),
  'rbac.authorization.k8s.io/RoleBinding': withMeta(),
  'rbac.authorization.k8s.io/ClusterRoleBinding': withMeta(),
  // webhooks are `patchStrategy:"merge" patchMergeKey:"name"`; their rules and lists inside are atomic.
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': withMeta({ webhooks: mergeBy('name') }),
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': withMeta({ webhooks: mergeBy('name') }),
  // matchConditions are `patchStrategy:"merge" patchMergeKey:"name"`; every other list of both kinds is atomic.
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy': withMeta({
    spec: struct({ matchConditions: mergeBy('name') }),
  }),
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding': withMeta(),
  // Both status.conditions are `patchStrategy:"merge" patchMergeKey:"type"`; the specs' lists are atomic.
  'flowcontrol.apiserver.k8s.io/FlowSchema': withMeta({ status: struct({ conditions: mergeBy('type') }) }),
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration': withMeta({
    status: struct({ conditions: mergeBy('type') }),
  }),
};

/** The schema of a kind, or undefined when strategic merge patch is not supported for it. */
export function patchSchemaFor(gvk: GroupVersionKind): PatchMeta | undefined {
  return SCHEMAS[`${gvk.group}/${gvk.kind}`];
}

export function childMeta(meta: PatchMeta | undefined, field: string): PatchMeta | undefined {
  return meta?.fields?.[field];
}
