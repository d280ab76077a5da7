// Typed OpenAPI schemas made from the protobuf field tables (protobuf/tables.ts, protobuf/pod.ts):
// every field with its JSON type, so `kubectl explain pod.spec.securityContext.runAsNonRoot` or
// `kubectl explain csr.spec.signerName` finds it. One source for the wire format, strict field
// validation and these schemas; descriptions are given for the fields PodSecurity admission judges
// and for the CSR, review, RBAC and Lease fields mkube's security path turns on.

import { KINDS } from '../protobuf/index.js';
import {
  appArmorProfile,
  capabilities,
  container,
  podSecurityContext,
  podSpec,
  seccompProfile,
  securityContext,
  seLinuxOptions,
  windowsSecurityContextOptions,
} from '../protobuf/pod.js';
import type { FieldSpec, FieldType, MessageSchema } from '../protobuf/schema.js';
import {
  accessReviewStatus,
  certificateSigningRequest,
  clusterRole,
  csrCondition,
  csrSpec,
  csrStatus,
  lease,
  leaseSpec,
  policyRule,
  resourceAttributes,
  role,
  roleBinding,
  subjectAccessReview,
  subjectAccessReviewSpec,
} from '../protobuf/tables.js';
import type { ResourceDef } from '../registry/catalog.js';

type Json = Record<string, unknown>;

const RUN_AS_NON_ROOT =
  'Indicates that the container must run as a non-root user. If true, the kubelet checks at run time that the image does not run as UID 0 and refuses to start it if it does. If unset or false, no such check is made. May be set in both SecurityContext and PodSecurityContext; the container value takes precedence.';
const RUN_AS_USER =
  'The UID to run the entrypoint of the container process. Defaults to the user specified in image metadata. The container value takes precedence over the pod value.';
const RUN_AS_GROUP = 'The GID to run the entrypoint of the container process. Uses the runtime default if unset.';
const SECCOMP =
  'The seccomp options to use. Type is one of RuntimeDefault, Localhost (with localhostProfile) or Unconfined.';
const APPARMOR =
  'The AppArmor options to use. Type is one of RuntimeDefault, Localhost (with localhostProfile) or Unconfined.';
const SELINUX = 'The SELinux context to apply. If unspecified, the container runtime allocates a random one.';
const WINDOWS = 'The Windows-specific settings (hostProcess, GMSA credential spec, runAsUserName).';

const REQUESTER = (what: string) =>
  `${what} of the user who created the request. Set by the apiserver from the authenticated requester: whatever a client sends is replaced.`;
const SAR_USER = (what: string) => `${what} of the user to check.`;

/** Descriptions by table (the object identity of a message schema) and field name. */
const DESCRIPTIONS = new Map<MessageSchema, Readonly<Record<string, string>>>([
  [
    certificateSigningRequest,
    {
      spec: 'The certificate request and the identity of whoever made it. Immutable once created.',
      status: 'Whether the request was approved, denied or failed, and the issued certificate.',
    },
  ],
  [
    csrSpec,
    {
      request:
        'A PEM-encoded PKCS#10 CERTIFICATE REQUEST (base64 in JSON). The apiserver verifies its signature on create.',
      signerName:
        'The signer asked to issue the certificate, as <domain>/<path>: kubernetes.io/kube-apiserver-client, kubernetes.io/kube-apiserver-client-kubelet, kubernetes.io/kubelet-serving, or a signer of your own. Each built-in signer restricts the subject, SANs and usages it signs.',
      expirationSeconds:
        'The validity asked for, at least 600 (10 minutes). A signer may issue a shorter certificate; the built-in signers issue at most --cluster-signing-duration.',
      usages:
        'The key usages and extended key usages asked for, such as "digital signature", "key encipherment", "client auth" or "server auth". Required; unknown values and duplicates are refused.',
      username: REQUESTER('The name'),
      uid: REQUESTER('The UID'),
      groups: REQUESTER('The groups'),
      extra: REQUESTER('The extra attributes'),
    },
  ],
  [
    csrStatus,
    {
      conditions:
        'Approved or Denied (added through the /approval subresource, never both) and Failed (through /status). These types may only be "True", and no condition is ever removed.',
      certificate:
        'The issued certificate chain: PEM CERTIFICATE blocks (base64 in JSON), set once by the signer through the /status subresource. kubectl shows the request as Issued when it is set.',
    },
  ],
  [
    csrCondition,
    {
      type: 'Approved, Denied or Failed; other types are allowed and have no built-in meaning.',
      status: 'True, False or Unknown. Approved, Denied and Failed may only be True.',
      reason: 'A brief machine-readable reason, such as AutoApproved or KubectlApprove.',
      message: 'A human-readable explanation.',
      lastUpdateTime: 'When the condition was last updated; the apiserver fills it when it is empty.',
      lastTransitionTime: 'When the condition last changed status; the apiserver fills it.',
    },
  ],
  [
    subjectAccessReview,
    {
      spec: 'The user and the action to check.',
      status: "The authorizers' answer.",
    },
  ],
  [
    subjectAccessReviewSpec,
    {
      resourceAttributes: 'The resource request to check (verb, group, resource, subresource, namespace, name).',
      nonResourceAttributes: 'A request for a non-resource URL to check instead (path and verb).',
      user: SAR_USER('The name'),
      uid: SAR_USER('The UID'),
      groups: SAR_USER('The groups'),
      extra: SAR_USER('The extra attributes'),
    },
  ],
  [
    resourceAttributes,
    {
      namespace: 'The namespace of the request; empty for cluster-scoped resources and for all namespaces.',
      verb: 'A Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection, or one such as approve, sign, bind, escalate or impersonate.',
      group: 'The API group; empty for the core group.',
      version: 'The API version.',
      resource: 'The resource, such as certificatesigningrequests or signers.',
      subresource: 'The subresource, such as approval, status or nodeclient.',
      name: 'The name of the object; empty for all of them.',
    },
  ],
  [
    accessReviewStatus,
    {
      allowed: 'Whether the action is allowed.',
      denied:
        'Whether an authorizer explicitly denied it (allowed is then false). Both false: no authorizer had an opinion, which is also a refusal.',
      reason: 'Why, as the deciding authorizer put it.',
      evaluationError: 'Set when an authorizer failed to evaluate the request: the answer may then be incomplete.',
    },
  ],
  [
    policyRule,
    {
      verbs: 'The verbs this rule allows; "*" is all of them.',
      apiGroups: 'The API groups of the resources; "" is the core group and "*" all of them.',
      resources: 'The resources (or resource/subresource) this rule covers; "*" is all of them.',
      resourceNames: 'The names of the objects this rule is limited to; empty is all of them.',
      nonResourceURLs:
        'The non-resource URLs this rule allows, such as /healthz; a trailing * matches a prefix. Only in ClusterRoles.',
    },
  ],
  [role, { rules: 'What the role allows.' }],
  [
    clusterRole,
    {
      rules: 'What the role allows.',
      aggregationRule: 'Selects the ClusterRoles whose rules are aggregated into this one.',
    },
  ],
  [
    roleBinding,
    {
      subjects: 'The users, groups and service accounts the role is granted to.',
      roleRef: 'The Role or ClusterRole granted. Immutable.',
    },
  ],
  [lease, { spec: 'The holder and its renewals.' }],
  [
    leaseSpec,
    {
      holderIdentity: "The holder: a node's name for the kubelets' node leases, the leader for leader election.",
      leaseDurationSeconds:
        'How long after its last renewal the lease may be taken over (40 for node leases: a node not renewed for that long is no longer Ready).',
      acquireTime: 'When the current holder acquired the lease.',
      renewTime: 'When the holder last renewed the lease (kubelets: every 10 seconds).',
      leaseTransitions: 'How many times the lease has changed holders.',
    },
  ],
  [
    podSpec,
    {
      hostPID: "Use the host's pid namespace. Optional: default to false.",
      hostIPC: "Use the host's ipc namespace. Optional: default to false.",
      hostNetwork: "Host networking requested for this pod: use the host's network namespace. Default to false.",
      hostUsers: "Use the host's user namespace. Optional: default to true.",
      securityContext:
        'SecurityContext holds pod-level security attributes and common container settings. Optional: defaults to empty.',
      containers: 'List of containers belonging to the pod. There must be at least one.',
      initContainers: 'List of initialization containers belonging to the pod, run in order before the containers.',
      volumes: 'List of volumes that can be mounted by containers belonging to the pod.',
    },
  ],
  [
    podSecurityContext,
    {
      runAsNonRoot: RUN_AS_NON_ROOT,
      runAsUser: RUN_AS_USER,
      runAsGroup: RUN_AS_GROUP,
      fsGroup: 'A special supplemental group that applies to all containers in a pod and owns its volumes.',
      supplementalGroups:
        "A list of groups applied to the first process run in each container, in addition to the container's primary GID.",
      sysctls: 'Sysctls hold a list of namespaced sysctls used for the pod.',
      seccompProfile: SECCOMP,
      appArmorProfile: APPARMOR,
      seLinuxOptions: SELINUX,
      windowsOptions: WINDOWS,
    },
  ],
  [
    container,
    {
      securityContext:
        'SecurityContext defines the security options the container should be run with. Its fields override the equivalent fields of the PodSecurityContext.',
    },
  ],
  [
    securityContext,
    {
      privileged:
        'Run container in privileged mode. Processes in privileged containers are essentially equivalent to root on the host. Defaults to false.',
      allowPrivilegeEscalation:
        'AllowPrivilegeEscalation controls whether a process can gain more privileges than its parent process (the no_new_privs flag). It is always true when the container is privileged or has CAP_SYS_ADMIN.',
      capabilities: 'The capabilities to add/drop when running containers.',
      runAsNonRoot: RUN_AS_NON_ROOT,
      runAsUser: RUN_AS_USER,
      runAsGroup: RUN_AS_GROUP,
      readOnlyRootFilesystem: 'Whether this container has a read-only root filesystem. Default is false.',
      procMount: 'procMount denotes the type of proc mount to use for the container: Default or Unmasked.',
      seccompProfile: SECCOMP,
      appArmorProfile: APPARMOR,
      seLinuxOptions: SELINUX,
      windowsOptions: WINDOWS,
    },
  ],
  [capabilities, { add: 'Added capabilities', drop: 'Removed capabilities' }],
  [
    seccompProfile,
    {
      type: 'type indicates which kind of seccomp profile will be applied: Localhost, RuntimeDefault or Unconfined.',
      localhostProfile:
        'localhostProfile indicates a profile defined in a file on the node. Must be set if type is "Localhost".',
    },
  ],
  [
    appArmorProfile,
    {
      type: 'type indicates which kind of AppArmor profile will be applied: Localhost, RuntimeDefault or Unconfined.',
      localhostProfile: 'localhostProfile indicates a profile loaded on the node. Must be set if type is "Localhost".',
    },
  ],
  [
    seLinuxOptions,
    {
      user: 'User is a SELinux user label that applies to the container.',
      role: 'Role is a SELinux role label that applies to the container.',
      type: 'Type is a SELinux type label that applies to the container.',
      level: 'Level is SELinux level label that applies to the container.',
    },
  ],
  [
    windowsSecurityContextOptions,
    { hostProcess: "HostProcess determines if a container should be run as a 'Host Process' container." },
  ],
]);

function scalarSchema(type: Exclude<FieldType, { message: unknown } | { map: unknown }>): Json {
  switch (type) {
    case 'string':
    case 'stringPtr':
      return { type: 'string' };
    case 'bytes':
      return { type: 'string', format: 'byte' };
    case 'int':
    case 'intPtr':
      return { type: 'integer' };
    case 'bool':
    case 'boolPtr':
      return { type: 'boolean' };
    case 'time':
    case 'microtime':
      return { type: 'string', format: 'date-time' };
    case 'intOrString':
    case 'quantity':
      return { 'x-kubernetes-int-or-string': true };
  }
}

function valueSchema(f: FieldSpec, depth: number): Json {
  const t = f.type;
  if (typeof t === 'string') return scalarSchema(t);
  if ('map' in t) {
    const m = t.map;
    const value =
      typeof m === 'object' && isListWrapper(m.message())
        ? { type: 'array', items: { type: 'string' } }
        : m === 'string'
          ? { type: 'string' }
          : m === 'bytes'
            ? { type: 'string', format: 'byte' }
            : m === 'quantity'
              ? { 'x-kubernetes-int-or-string': true }
              : m === 'time'
                ? { type: 'string', format: 'date-time' }
                : messageSchema(m.message(), depth + 1);
    return { type: 'object', additionalProperties: value };
  }
  return messageSchema(t.message(), depth + 1);
}

/** ExtraValue {items}: a plain list in JSON (as the protobuf decoder reads it). */
function isListWrapper(schema: MessageSchema): boolean {
  const fields = Object.values(schema);
  return fields.length === 1 && fields[0]!.name === 'items' && fields[0]!.repeated === true;
}

function addFields(schema: MessageSchema, properties: Json, depth: number): void {
  const described = DESCRIPTIONS.get(schema);
  for (const f of Object.values(schema)) {
    const t = f.type;
    if (f.inline && typeof t === 'object' && 'message' in t) {
      addFields(t.message(), properties, depth);
      continue;
    }
    let s = valueSchema(f, depth);
    if (f.repeated) s = { type: 'array', items: s };
    const description = described?.[f.name];
    properties[f.name] = description ? { description, ...s } : s;
  }
}

/** The schema of one message; ObjectMeta stays the loose object the other kinds use. */
function messageSchema(schema: MessageSchema, depth: number): Json {
  if (depth > 24) return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const properties: Json = {};
  addFields(schema, properties, depth);
  return { type: 'object', properties };
}

const KIND_DESCRIPTIONS: Readonly<Record<string, string>> = {
  CertificateSigningRequest:
    'CertificateSigningRequest asks a signer (spec.signerName) for an X.509 certificate for the key in spec.request. An approver adds an Approved or Denied condition; the signer then writes status.certificate or adds a Failed condition.',
  SubjectAccessReview:
    "SubjectAccessReview asks whether a user may perform an action; the apiserver's authorizers answer in status.",
  LocalSubjectAccessReview:
    "LocalSubjectAccessReview is a SubjectAccessReview limited to one namespace; the apiserver's authorizers answer in status.",
  Lease: 'Lease is a time-bound claim: node heartbeats (kube-node-lease) and leader election.',
  LimitRange: 'LimitRange sets resource usage limits for each kind of resource in a Namespace.',
  ResourceQuota: 'ResourceQuota sets aggregate quota restrictions enforced per namespace',
};

const tableOf = (def: Pick<ResourceDef, 'group' | 'version' | 'kind'>): MessageSchema | undefined =>
  KINDS[`${def.group ? `${def.group}/` : ''}${def.version}/${def.kind}`];
const cache = new Map<string, Json | undefined>();

/** The kind's description when it has a typed schema, else undefined (its schema stays loose). */
export function typedKindDescription(def: Pick<ResourceDef, 'group' | 'version' | 'kind'>): string | undefined {
  return tableOf(def) ? (KIND_DESCRIPTIONS[def.kind] ?? def.kind) : undefined;
}

/** A typed schema for a top-level field of a kind with a field table, or undefined to keep the loose one. */
export function typedField(def: Pick<ResourceDef, 'group' | 'version' | 'kind'>, field: string): Json | undefined {
  const key = `${def.group}/${def.version}/${def.kind}.${field}`;
  if (!cache.has(key)) {
    const table = tableOf(def);
    const spec = table && Object.values(table).find((f) => f.name === field);
    let schema: Json | undefined;
    if (spec && field !== 'metadata') {
      schema = valueSchema(spec, 0);
      if (spec.repeated) schema = { type: 'array', items: schema };
      const description = DESCRIPTIONS.get(table)?.[field];
      if (description) schema = { description, ...schema };
    }
    cache.set(key, schema);
  }
  return cache.get(key);
}
