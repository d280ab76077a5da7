// Server-side printing: objects → meta.k8s.io/v1 Table, for kubectl's human output.
import type { KubeObject, PartialObjectMetadata, Table, TableRow } from '@mkube/shared/api';
import type { ResourceDef } from '../registry/catalog.js';
import {
  validatingAdmissionPolicyBindingPrinter,
  validatingAdmissionPolicyPrinter,
  webhookConfigurationPrinter,
} from './admissionregistration.js';
import {
  controllerRevisionPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  podTemplatePrinter,
  replicaSetPrinter,
  replicationControllerPrinter,
  statefulSetPrinter,
} from './apps.js';
import { horizontalPodAutoscalerPrinter } from './autoscaling.js';
import { cronJobPrinter, jobPrinter } from './batch.js';
import {
  configMapPrinter,
  eventPrinter,
  namespacePrinter,
  nodePrinter,
  secretPrinter,
  serviceAccountPrinter,
} from './core.js';
import { csiDriverPrinter, csiNodePrinter, csiStorageCapacityPrinter, volumeAttachmentPrinter } from './csi.js';
import { endpointSlicePrinter } from './endpointslices.js';
import { flowSchemaPrinter, priorityLevelConfigurationPrinter } from './flowcontrol.js';
import {
  ingressClassPrinter,
  ingressPrinter,
  ipAddressPrinter,
  networkPolicyPrinter,
  serviceCIDRPrinter,
} from './networking.js';
import { runtimeClassPrinter } from './node.js';
import {
  apiServicePrinter,
  bindingPrinter,
  clusterTrustBundlePrinter,
  componentStatusPrinter,
  createdAtPrinter,
  csrPrinter,
  leasePrinter,
  nameAgePrinter,
  podDisruptionBudgetPrinter,
} from './other.js';
import { podPrinter } from './pods.js';
import { resourceQuotaPrinter } from './resourcequota.js';
import { priorityClassPrinter } from './scheduling.js';
import { endpointsPrinter, servicePrinter } from './services.js';
import { persistentVolumeClaimPrinter, persistentVolumePrinter, storageClassPrinter } from './storage.js';
import type { Printer } from './types.js';

/** group/resource → printer; resources absent here get the Name / Created At printer. */
const PRINTERS: Readonly<Record<string, Printer>> = {
  '/namespaces': namespacePrinter,
  '/secrets': secretPrinter,
  '/configmaps': configMapPrinter,
  '/serviceaccounts': serviceAccountPrinter,
  '/nodes': nodePrinter,
  '/pods': podPrinter,
  '/services': servicePrinter,
  '/endpoints': endpointsPrinter,
  '/events': eventPrinter,
  '/componentstatuses': componentStatusPrinter,
  '/limitranges': createdAtPrinter,
  '/podtemplates': podTemplatePrinter,
  '/replicationcontrollers': replicationControllerPrinter,
  '/persistentvolumes': persistentVolumePrinter,
  '/persistentvolumeclaims': persistentVolumeClaimPrinter,
  '/resourcequotas': resourceQuotaPrinter,
  'discovery.k8s.io/endpointslices': endpointSlicePrinter,
  'networking.k8s.io/networkpolicies': networkPolicyPrinter,
  'networking.k8s.io/ingresses': ingressPrinter,
  'networking.k8s.io/ingressclasses': ingressClassPrinter,
  'networking.k8s.io/servicecidrs': serviceCIDRPrinter,
  'networking.k8s.io/ipaddresses': ipAddressPrinter,
  'coordination.k8s.io/leases': leasePrinter,
  'certificates.k8s.io/certificatesigningrequests': csrPrinter,
  'certificates.k8s.io/clustertrustbundles': clusterTrustBundlePrinter,
  'certificates.k8s.io/podcertificaterequests': nameAgePrinter,
  'apps/deployments': deploymentPrinter,
  'apps/replicasets': replicaSetPrinter,
  'apps/daemonsets': daemonSetPrinter,
  'apps/statefulsets': statefulSetPrinter,
  'apps/controllerrevisions': controllerRevisionPrinter,
  'policy/poddisruptionbudgets': podDisruptionBudgetPrinter,
  'autoscaling/horizontalpodautoscalers': horizontalPodAutoscalerPrinter,
  'batch/jobs': jobPrinter,
  'batch/cronjobs': cronJobPrinter,
  'flowcontrol.apiserver.k8s.io/flowschemas': flowSchemaPrinter,
  'flowcontrol.apiserver.k8s.io/prioritylevelconfigurations': priorityLevelConfigurationPrinter,
  'scheduling.k8s.io/priorityclasses': priorityClassPrinter,
  'storage.k8s.io/storageclasses': storageClassPrinter,
  'storage.k8s.io/volumeattachments': volumeAttachmentPrinter,
  'storage.k8s.io/csinodes': csiNodePrinter,
  'storage.k8s.io/csidrivers': csiDriverPrinter,
  'storage.k8s.io/csistoragecapacities': csiStorageCapacityPrinter,
  'node.k8s.io/runtimeclasses': runtimeClassPrinter,
  'rbac.authorization.k8s.io/roles': createdAtPrinter,
  'rbac.authorization.k8s.io/clusterroles': createdAtPrinter,
  'rbac.authorization.k8s.io/rolebindings': bindingPrinter,
  'rbac.authorization.k8s.io/clusterrolebindings': bindingPrinter,
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': webhookConfigurationPrinter,
  'admissionregistration.k8s.io/validatingwebhookconfigurations': webhookConfigurationPrinter,
  'admissionregistration.k8s.io/validatingadmissionpolicies': validatingAdmissionPolicyPrinter,
  'admissionregistration.k8s.io/validatingadmissionpolicybindings': validatingAdmissionPolicyBindingPrinter,
  'apiregistration.k8s.io/apiservices': apiServicePrinter,
};

export function printerFor(def: Pick<ResourceDef, 'group' | 'resource'>): Printer {
  return PRINTERS[`${def.group}/${def.resource}`] ?? createdAtPrinter;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  readonly includeObject: IncludeObject;
  readonly now: Date;
  readonly resourceVersion?: string;
  readonly continue?: string;
}

function partial(obj: KubeObject): PartialObjectMetadata {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function toTable(def: ResourceDef, objects: object[], opts: TableOptions): Table {
  const p = printerFor(def);
  const order = p.order;
  const sorted = order && objects.length > 1 ? [...objects].sort((a, b) => order(a as never, b as never)) : objects;
  const rows = (sorted as KubeObject[]).map((obj): TableRow => {
    const row: TableRow = { cells: p.cells(obj as unknown as Record<string, unknown>, opts.now) };
    const conditions = p.conditions?.(obj as unknown as Record<string, unknown>);
    if (conditions) row.conditions = conditions;
    if (opts.includeObject === 'Metadata') row.object = partial(obj);
    else if (opts.includeObject === 'Object') row.object = obj;
    return row;
  });
  // A single object's table carries that object's resourceVersion (tableconvertor).
  const only = objects.length === 1 ? (objects[0] as KubeObject) : undefined;
  const resourceVersion = opts.resourceVersion ?? only?.metadata?.resourceVersion;
  const metadata: Table['metadata'] = {};
  if (resourceVersion) metadata.resourceVersion = resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: [...p.columns],
    rows,
  };
}

/**
 * True when the Accept header asks for a meta.k8s.io Table (`application/json;as=Table;v=v1;g=meta.k8s.io`,
 * v1beta1 too); parameters may come in any order.
 */
export function wantsTable(acceptHeader: string): boolean {
  for (const clause of acceptHeader.split(',')) {
    const [type, ...params] = clause.split(';').map((s) => s.trim());
    if (type !== 'application/json' && type !== '*/*') continue;
    const p = new Map(
      params.map((kv) => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i).trim().toLowerCase(), kv.slice(i + 1).trim()] as const;
      }),
    );
    if (p.get('as') === 'Table' && p.get('g') === 'meta.k8s.io' && (p.get('v') === 'v1' || p.get('v') === 'v1beta1')) {
      return true;
    }
  }
  return false;
}
