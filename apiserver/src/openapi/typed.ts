// Typed OpenAPI schemas made from the protobuf field tables (protobuf/pod.ts): every field with its
// JSON type, so `kubectl explain pod.spec.securityContext.runAsNonRoot` finds it. One source for the
// wire format, strict field validation and these schemas; descriptions are given for the fields
// PodSecurity admission judges.
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

/** Descriptions by table (the object identity of a message schema) and field name. */
const DESCRIPTIONS = new Map<MessageSchema, Readonly<Record<string, string>>>([
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
      m === 'string'
        ? { type: 'string' }
        : m === 'bytes'
          ? { type: 'string', format: 'byte' }
          : m === 'quantity'
            ? { 'x-kubernetes-int-or-string': true }
            : messageSchema(m.message(), depth + 1);
    return { type: 'object', additionalProperties: value };
  }
  return messageSchema(t.message(), depth + 1);
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

const TYPED_KINDS: Readonly<Record<string, string>> = { Pod: 'v1/Pod' };
const cache = new Map<string, Json | undefined>();

/** A typed schema for a top-level field of a kind (Pod spec and status), or undefined to keep the loose one. */
export function typedField(kind: string, field: string): Json | undefined {
  const key = `${kind}.${field}`;
  if (!cache.has(key)) {
    const table = TYPED_KINDS[kind] ? KINDS[TYPED_KINDS[kind]] : undefined;
    const spec = table && Object.values(table).find((f) => f.name === field);
    cache.set(key, spec && field !== 'metadata' ? valueSchema(spec, 0) : undefined);
  }
  return cache.get(key);
}
