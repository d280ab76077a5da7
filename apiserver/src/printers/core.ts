// Printers for the core/v1 resources other than pods (k/k pkg/printers/internalversion/printers.go).
import type { ConfigMap, Event, Namespace, Node, Secret, ServiceAccount } from '@mkube/shared/api';
import { timestampSince } from './duration.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

const age = (o: { metadata?: { creationTimestamp?: string } }, now: Date) =>
  timestampSince(o.metadata?.creationTimestamp, now);

export const namespacePrinter: Printer = printer<Namespace>({
  columns: [NAME_COLUMN, col('Status', 'The status of the namespace'), AGE_COLUMN],
  cells: (o, now) => [o.metadata.name, o.status?.phase ?? '', age(o, now)],
});

export const secretPrinter: Printer = printer<Secret>({
  columns: [
    NAME_COLUMN,
    col('Type', 'The type of the secret'),
    col('Data', 'The number of entries in the secret', { type: 'integer' }),
    AGE_COLUMN,
  ],
  cells: (o, now) => [o.metadata.name, o.type ?? '', Object.keys(o.data ?? {}).length, age(o, now)],
});

export const configMapPrinter: Printer = printer<ConfigMap>({
  columns: [NAME_COLUMN, col('Data', 'Data contains the configuration data.', { type: 'integer' }), AGE_COLUMN],
  cells: (o, now) => [
    o.metadata.name,
    Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length,
    age(o, now),
  ],
});

export const serviceAccountPrinter: Printer = printer<ServiceAccount>({
  columns: [
    NAME_COLUMN,
    col(
      'Secrets',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      { type: 'integer' },
    ),
    AGE_COLUMN,
  ],
  cells: (o, now) => [o.metadata.name, (o.secrets ?? []).length, age(o, now)],
});

const ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

/** Roles from `node-role.kubernetes.io/<role>` labels and the legacy `kubernetes.io/role` label. */
function nodeRoles(labels: Record<string, string>): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith(ROLE_LABEL_PREFIX)) {
      const role = k.slice(ROLE_LABEL_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === ROLE_LABEL && v) {
      roles.add(v);
    }
  }
  return [...roles].sort();
}

function nodeAddress(o: Node, type: string): string {
  return o.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

function nodeStatus(o: Node): string {
  const status: string[] = [];
  const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (o.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

export const nodePrinter: Printer = printer<Node>({
  columns: [
    NAME_COLUMN,
    col('Status', 'The status of the node'),
    col('Roles', 'The roles of the node'),
    AGE_COLUMN,
    col('Version', 'Kubelet Version reported by the node.'),
    col('Internal-IP', 'List of addresses reachable to the node.', { priority: 1 }),
    col('External-IP', 'List of addresses reachable to the node.', { priority: 1 }),
    col('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', {
      priority: 1,
    }),
    col('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", {
      priority: 1,
    }),
    col(
      'Container-Runtime',
      'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
      { priority: 1 },
    ),
  ],
  cells: (o, now) => {
    const roles = nodeRoles(o.metadata.labels ?? {}).join(',');
    const info = o.status?.nodeInfo;
    return [
      o.metadata.name,
      nodeStatus(o),
      roles || '<none>',
      age(o, now),
      info?.kubeletVersion ?? '',
      nodeAddress(o, 'InternalIP'),
      nodeAddress(o, 'ExternalIP'),
      info?.osImage || '<unknown>',
      info?.kernelVersion || '<unknown>',
      info?.containerRuntimeVersion || '<unknown>',
    ];
  },
});

function eventSource(o: Event): string {
  const component = o.source?.component || o.reportingComponent || '';
  const instance = o.source?.host || o.reportingInstance || '';
  if (!component) return '';
  return instance ? `${component}, ${instance}` : component;
}

export const eventPrinter: Printer = printer<Event>({
  columns: [
    col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
    col(
      'Reason',
      "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ),
    col('Object', 'The object that this event is about.'),
    col(
      'Subobject',
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
      { priority: 1 },
    ),
    col('Source', 'The component reporting this event. Should be a short machine understandable string.', {
      priority: 1,
    }),
    col('Message', 'A human-readable description of the status of this operation.'),
    col('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', {
      priority: 1,
    }),
    col('Count', 'The number of times this event has occurred.', { priority: 1 }),
    col('Name', 'Name must be unique within a namespace.', { priority: 1, format: 'name' }),
  ],
  cells: (o, now) => {
    const first = o.firstTimestamp
      ? timestampSince(o.firstTimestamp, now)
      : timestampSince(o.eventTime ?? undefined, now);
    let last = o.lastTimestamp ? timestampSince(o.lastTimestamp, now) : first;
    let count = o.count ?? 0;
    if (o.series) {
      last = timestampSince(o.series.lastObservedTime, now);
      count = o.series.count ?? 0;
    } else if (count === 0) {
      count = 1; // singleton events of the events.k8s.io API carry no count
    }
    const kind = (o.involvedObject?.kind ?? '').toLowerCase();
    const target = o.involvedObject?.name ? `${kind}/${o.involvedObject.name}` : kind;
    return [
      last,
      o.type ?? '',
      o.reason ?? '',
      target,
      o.involvedObject?.fieldPath ?? '',
      eventSource(o),
      (o.message ?? '').trim(),
      first,
      count,
      o.metadata.name,
    ];
  },
});
