// OpenAPI schemas for mkube's kinds: a kind with a protobuf field table is typed throughout
// (typed.ts); the others have their top-level fields typed and their insides left open
// (x-kubernetes-preserve-unknown-fields). Enough for `kubectl explain`; the apiserver validates for real.
import type { ResourceDef } from '../registry/catalog.js';
import { typedField, typedKindDescription } from './typed.js';

type FieldType = 'string' | 'boolean' | 'integer' | 'object' | 'array';

const OBJ: FieldType = 'object';
const SPEC_STATUS: Record<string, FieldType> = { spec: OBJ, status: OBJ };

/** Kind → top-level fields besides apiVersion, kind and metadata. */
const FIELDS: Readonly<Record<string, Record<string, FieldType>>> = {
  Namespace: SPEC_STATUS,
  Secret: { data: OBJ, stringData: OBJ, type: 'string', immutable: 'boolean' },
  ConfigMap: { data: OBJ, binaryData: OBJ, immutable: 'boolean' },
  ServiceAccount: { secrets: 'array', imagePullSecrets: 'array', automountServiceAccountToken: 'boolean' },
  Node: SPEC_STATUS,
  Pod: SPEC_STATUS,
  Binding: { target: OBJ },
  Service: SPEC_STATUS,
  Endpoints: { subsets: 'array' },
  LimitRange: { spec: OBJ },
  PodTemplate: { template: OBJ },
  ReplicationController: SPEC_STATUS,
  ResourceQuota: SPEC_STATUS,
  PersistentVolume: SPEC_STATUS,
  PersistentVolumeClaim: SPEC_STATUS,
  EndpointSlice: { addressType: 'string', endpoints: 'array', ports: 'array' },
  Event: {
    involvedObject: OBJ,
    reason: 'string',
    message: 'string',
    source: OBJ,
    firstTimestamp: 'string',
    lastTimestamp: 'string',
    count: 'integer',
    type: 'string',
    eventTime: 'string',
    series: OBJ,
    action: 'string',
    related: OBJ,
    reportingComponent: 'string',
    reportingInstance: 'string',
  },
  Lease: { spec: OBJ },
  CertificateSigningRequest: SPEC_STATUS,
  ClusterTrustBundle: { spec: OBJ },
  PodCertificateRequest: SPEC_STATUS,
  Deployment: SPEC_STATUS,
  ReplicaSet: SPEC_STATUS,
  DaemonSet: SPEC_STATUS,
  StatefulSet: SPEC_STATUS,
  ControllerRevision: { data: OBJ, revision: 'integer' },
  PodDisruptionBudget: SPEC_STATUS,
  Job: SPEC_STATUS,
  CronJob: SPEC_STATUS,
  HorizontalPodAutoscaler: SPEC_STATUS,
  FlowSchema: SPEC_STATUS,
  PriorityLevelConfiguration: SPEC_STATUS,
  StorageClass: {
    provisioner: 'string',
    parameters: OBJ,
    reclaimPolicy: 'string',
    mountOptions: 'array',
    allowVolumeExpansion: 'boolean',
    volumeBindingMode: 'string',
    allowedTopologies: 'array',
  },
  CSIDriver: { spec: OBJ },
  CSIStorageCapacity: {
    nodeTopology: OBJ,
    storageClassName: 'string',
    capacity: 'string',
    maximumVolumeSize: 'string',
  },
  CSINode: { spec: OBJ },
  VolumeAttachment: SPEC_STATUS,
  NetworkPolicy: { spec: OBJ },
  Ingress: SPEC_STATUS,
  IngressClass: { spec: OBJ },
  ServiceCIDR: SPEC_STATUS,
  IPAddress: { spec: OBJ },
  PriorityClass: { value: 'integer', globalDefault: 'boolean', description: 'string', preemptionPolicy: 'string' },
  RuntimeClass: { handler: 'string', overhead: OBJ, scheduling: OBJ },
  Role: { rules: 'array' },
  ClusterRole: { rules: 'array', aggregationRule: OBJ },
  RoleBinding: { subjects: 'array', roleRef: OBJ },
  ClusterRoleBinding: { subjects: 'array', roleRef: OBJ },
  MutatingWebhookConfiguration: { webhooks: 'array' },
  ValidatingWebhookConfiguration: { webhooks: 'array' },
  ValidatingAdmissionPolicyBinding: { spec: OBJ },
};

/** Schema name as Kubernetes names it: io.k8s.api.<group short>.<version>.<Kind>. */
export function schemaName(def: Pick<ResourceDef, 'group' | 'version' | 'kind'>): string {
  const pkg =
    def.group === ''
      ? 'core'
      : def.group
          .replace(/\.k8s\.io$/, '')
          .replace(/\.authorization$/, '')
          .replace(/\.apiserver$/, '');
  return `io.k8s.api.${pkg}.${def.version}.${def.kind}`;
}

function field(type: FieldType): Record<string, unknown> {
  if (type === 'object') return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  if (type === 'array')
    return { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
  return { type };
}

export function objectSchema(def: ResourceDef): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    apiVersion: {
      type: 'string',
      description: 'APIVersion defines the versioned schema of this representation of an object.',
    },
    kind: {
      type: 'string',
      description: 'Kind is a string value representing the REST resource this object represents.',
    },
    metadata: {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      description: "Standard object's metadata.",
    },
  };
  for (const [name, type] of Object.entries(FIELDS[def.kind] ?? SPEC_STATUS))
    properties[name] = typedField(def, name) ?? field(type);
  return {
    type: 'object',
    description:
      typedKindDescription(def) ?? `${def.kind} (mkube: a loose schema; the apiserver validates the object).`,
    properties,
    'x-kubernetes-group-version-kind': [{ group: def.group, version: def.version, kind: def.kind }],
  };
}

export function listSchema(def: ResourceDef): Record<string, unknown> {
  return {
    type: 'object',
    description: `${def.listKind} is a list of ${def.kind} objects.`,
    required: ['items'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      items: { type: 'array', items: { $ref: `#/components/schemas/${schemaName(def)}` } },
    },
    'x-kubernetes-group-version-kind': [{ group: def.group, version: def.version, kind: def.listKind }],
  };
}
