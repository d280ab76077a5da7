// The APIServices kube-apiserver's aggregator registers for the API group versions it serves itself
// (autoregister, "onstart"): one per group version in upstream's priority table, named
// `version.group` (`v1.` for the core group), Local. Written at start when missing or different.
import type { APIService } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import { jsonEqual } from '../../util/json.js';
import { type APICatalog, DEFAULT_CATALOG } from '../catalog.js';
import { EVERYTHING } from '../filter.js';
import type { Registries } from '../index.js';
import { apiserverContext } from '../strategy.js';

/** apiVersionPriorities (cmd/kube-apiserver/app/aggregator.go) for the group versions mkube serves. */
const PRIORITIES: Readonly<Record<string, { group: number; version: number }>> = {
  '/v1': { group: 18000, version: 1 },
  'authentication.k8s.io/v1': { group: 17700, version: 15 },
  'authorization.k8s.io/v1': { group: 17600, version: 15 },
  'certificates.k8s.io/v1': { group: 17300, version: 15 },
  'certificates.k8s.io/v1beta1': { group: 17300, version: 9 },
  'policy/v1': { group: 17100, version: 15 },
  'rbac.authorization.k8s.io/v1': { group: 17000, version: 15 },
  'admissionregistration.k8s.io/v1': { group: 16700, version: 15 },
  'scheduling.k8s.io/v1': { group: 16600, version: 15 },
  'coordination.k8s.io/v1': { group: 16500, version: 15 },
  'discovery.k8s.io/v1': { group: 16200, version: 15 },
  'flowcontrol.apiserver.k8s.io/v1': { group: 16100, version: 21 },
};

export const AUTOMANAGED_LABEL = 'kube-aggregator.kubernetes.io/automanaged';

/** The local APIServices this apiserver stands for, as autoregister would write them. */
export function localAPIServices(catalog: APICatalog = DEFAULT_CATALOG): APIService[] {
  return catalog.groupVersions().flatMap(({ group, version }) => {
    const p = PRIORITIES[`${group}/${version}`];
    if (!p) return [];
    return [
      {
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: `${version}.${group}`, labels: { [AUTOMANAGED_LABEL]: 'onstart' } },
        spec: { group, version, groupPriorityMinimum: p.group, versionPriority: p.version },
      },
    ];
  });
}

/** Creates the missing ones and puts back a changed spec; another apiserver's concurrent write wins. */
export async function registerLocalAPIServices(
  registries: Registries,
  catalog: APICatalog = DEFAULT_CATALOG,
): Promise<void> {
  const reg = registries.get('apiregistration.k8s.io', 'apiservices');
  if (!reg) return;
  const wanted = localAPIServices(catalog);
  // An onstart APIService for a group version no longer served (--runtime-config turned it off) goes,
  // as autoregister deletes one it does not want on its first sync.
  const names = new Set(wanted.map((a) => a.metadata.name));
  for (const obj of (await reg.list({ namespace: '', filter: EVERYTHING })).items as APIService[]) {
    const name = obj.metadata.name!;
    if (obj.metadata.labels?.[AUTOMANAGED_LABEL] !== 'onstart' || names.has(name)) continue;
    try {
      await reg.delete('', name, { uid: obj.metadata.uid! }, { dryRun: false }, apiserverContext());
    } catch (e) {
      if (!(e instanceof StatusError && (e.reason === 'NotFound' || e.reason === 'Conflict'))) throw e;
    }
  }
  for (const want of wanted) {
    const name = want.metadata.name!;
    try {
      let current: APIService | undefined;
      try {
        current = (await reg.get('', name)) as APIService;
      } catch (e) {
        if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
      }
      if (!current) await reg.create('', want, apiserverContext(), { dryRun: false });
      else if (!jsonEqual(current.spec, want.spec) || current.metadata.labels?.[AUTOMANAGED_LABEL] !== 'onstart') {
        const labels = { ...current.metadata.labels, [AUTOMANAGED_LABEL]: 'onstart' };
        const updated: APIService = { ...current, metadata: { ...current.metadata, labels }, spec: want.spec };
        await reg.update('', name, updated, '', apiserverContext(), { dryRun: false });
      }
    } catch (e) {
      if (e instanceof StatusError && (e.reason === 'AlreadyExists' || e.reason === 'Conflict')) continue;
      throw e;
    }
  }
}
