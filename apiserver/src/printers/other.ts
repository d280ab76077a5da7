// Printers for CSRs, leases and RBAC (k/k printers.go).
import type {
  APIService,
  CertificateSigningRequest,
  ClusterRoleBinding,
  ClusterTrustBundle,
  ComponentStatus,
  KubeObject,
  Lease,
  PodDisruptionBudget,
  RoleBinding,
  Subject,
} from '@mkube/shared/api';
import { humanDuration, timestampSince } from './duration.js';
import { AGE_COLUMN, col, NAME_COLUMN, type Printer, printer } from './types.js';

/** `Approved,Issued`, `Pending`, `Denied`, …: Denied beats Approved; Failed and Issued are appended. */
export function csrCondition(csr: CertificateSigningRequest): string {
  const types = new Set((csr.status?.conditions ?? []).map((c) => c.type));
  let status = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) status += ',Failed';
  if (csr.status?.certificate) status += ',Issued';
  return status;
}

export const csrPrinter: Printer = printer<CertificateSigningRequest>({
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    col('SignerName', 'Only one signer name per request.'),
    col('Requestor', 'Name of user that requested the CSR.'),
    col('RequestedDuration', 'Requested duration of the issued certificate.'),
    col('Condition', 'Approval state of the CSR.'),
  ],
  cells: (o, now) => [
    o.metadata.name,
    timestampSince(o.metadata.creationTimestamp, now),
    o.spec.signerName ?? '',
    o.spec.username ?? '',
    o.spec.expirationSeconds !== undefined && o.spec.expirationSeconds !== null
      ? humanDuration(o.spec.expirationSeconds * 1000)
      : '<none>',
    csrCondition(o),
  ],
});

// printClusterTrustBundle: no Age column upstream.
export const clusterTrustBundlePrinter: Printer = printer<ClusterTrustBundle>({
  columns: [NAME_COLUMN, col('SignerName', 'signerName indicates the associated signer, if any.')],
  cells: (o) => [o.metadata.name, o.spec?.signerName || '<none>'],
});

const intOrPercent = (v: number | string | undefined): unknown => (v === undefined ? 'N/A' : v);

// No printer handler upstream: the default table, name and age.
export const nameAgePrinter: Printer = printer<KubeObject>({
  columns: [NAME_COLUMN, AGE_COLUMN],
  cells: (o, now) => [o.metadata.name, timestampSince(o.metadata.creationTimestamp, now)],
});

export const podDisruptionBudgetPrinter: Printer = printer<PodDisruptionBudget>({
  columns: [
    NAME_COLUMN,
    col(
      'Min Available',
      'The minimum number of pods that must be available simultaneously.  This can be either an integer or percentage.',
    ),
    col(
      'Max Unavailable',
      'The maximum number of pods that may be unavailable simultaneously.  This can be either an integer or percentage.',
    ),
    col('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', { type: 'integer' }),
    AGE_COLUMN,
  ],
  cells: (o, now) => [
    o.metadata.name,
    intOrPercent(o.spec?.minAvailable),
    intOrPercent(o.spec?.maxUnavailable),
    o.status?.disruptionsAllowed ?? 0,
    timestampSince(o.metadata.creationTimestamp, now),
  ],
});

export const leasePrinter: Printer = printer<Lease>({
  columns: [
    NAME_COLUMN,
    col('Holder', 'HolderIdentity contains the identity of the holder of a current lease.'),
    AGE_COLUMN,
  ],
  cells: (o, now) => [o.metadata.name, o.spec?.holderIdentity ?? '', timestampSince(o.metadata.creationTimestamp, now)],
});

/** The generic printer: name and creation time (RFC 3339), as for roles and clusterroles. */
export const createdAtPrinter: Printer = printer<KubeObject>({
  columns: [
    NAME_COLUMN,
    col('Created At', 'CreationTimestamp is a timestamp representing the server time when this object was created.', {
      type: 'date',
    }),
  ],
  cells: (o) => [o.metadata.name, createdAt(o.metadata.creationTimestamp)],
});

function createdAt(ts: string | undefined): string {
  if (!ts) return '';
  const t = new Date(ts);
  return Number.isNaN(t.getTime()) ? '' : t.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** rbac.SubjectsStrings: users, groups and `namespace/name` service accounts. */
function subjects(list: Subject[] | undefined): { users: string[]; groups: string[]; sas: string[] } {
  const out = { users: [] as string[], groups: [] as string[], sas: [] as string[] };
  for (const s of list ?? []) {
    if (s.kind === 'User') out.users.push(s.name);
    else if (s.kind === 'Group') out.groups.push(s.name);
    else if (s.kind === 'ServiceAccount') out.sas.push(s.namespace ? `${s.namespace}/${s.name}` : s.name);
  }
  return out;
}

export const bindingPrinter: Printer = printer<RoleBinding | ClusterRoleBinding>({
  columns: [
    NAME_COLUMN,
    col('Role', 'RoleRef references the role being granted.'),
    AGE_COLUMN,
    col('Users', 'Users in the binding', { priority: 1 }),
    col('Groups', 'Groups in the binding', { priority: 1 }),
    col('ServiceAccounts', 'ServiceAccounts in the binding', { priority: 1 }),
  ],
  cells: (o, now) => {
    const s = subjects(o.subjects);
    return [
      o.metadata.name,
      `${o.roleRef.kind}/${o.roleRef.name}`,
      timestampSince(o.metadata.creationTimestamp, now),
      s.users.join(', '),
      s.groups.join(', '),
      s.sas.join(', '),
    ];
  },
});

/** printComponentStatus: Healthy when the Healthy condition is True, Unhealthy otherwise. */
export const componentStatusPrinter: Printer = printer<ComponentStatus>({
  columns: [
    NAME_COLUMN,
    col('Status', 'Status of the component conditions'),
    col('Message', 'Message of the component conditions'),
    col('Error', 'Error of the component conditions'),
  ],
  cells: (o) => {
    const c = o.conditions?.find((x) => x.type === 'Healthy');
    return [
      o.metadata.name,
      c ? (c.status === 'True' ? 'Healthy' : 'Unhealthy') : 'Unknown',
      c?.message ?? '',
      c?.error ?? '',
    ];
  },
});

/** kube-aggregator's APIService table: "Local" or the service, the Available condition with its reason. */
export const apiServicePrinter: Printer = printer<APIService>({
  columns: [
    NAME_COLUMN,
    col('Service', 'The reference to the service that hosts this API endpoint.'),
    col('Available', 'Whether this service is available.'),
    AGE_COLUMN,
  ],
  cells: (o, now) => {
    const svc = o.spec?.service;
    const c = o.status?.conditions?.find((x) => x.type === 'Available');
    const available = !c ? 'Unknown' : c.status !== 'True' && c.reason ? `${c.status} (${c.reason})` : c.status;
    return [
      o.metadata.name,
      svc ? `${svc.namespace}/${svc.name}` : 'Local',
      available,
      timestampSince(o.metadata.creationTimestamp, now),
    ];
  },
});
