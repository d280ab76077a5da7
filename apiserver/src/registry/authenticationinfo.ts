// ConfigMap kube-system/extension-apiserver-authentication, as kube-apiserver's
// ClusterAuthenticationInfo controller publishes it at start: the client CA bundle and the
// request-header settings, for servers that delegate authentication (the controller-manager's
// secure port reads its client CA here when --client-ca-file is not given). Several apiservers
// share one ConfigMap, so CA bundles are merged (existing certificates kept, new ones appended),
// never replaced; header settings are this apiserver's.
import { AUTHENTICATION_INFO, type ConfigMap } from '@mkube/shared/api';
import { StatusError } from '@mkube/shared/apierrors';
import type { RequestHeaderConfig } from '../config/config.js';
import { jsonEqual } from '../util/json.js';
import type { Registries } from './index.js';
import { apiserverContext } from './strategy.js';

export interface AuthenticationInfo {
  readonly clientCAPem?: string;
  readonly requestHeader?: RequestHeaderConfig;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of `existing` then those of `added` not already in it, one PEM block each. */
export function mergeBundles(existing: string | undefined, added: string): string {
  const blocks = [...(existing ?? '').matchAll(PEM_BLOCK), ...added.matchAll(PEM_BLOCK)].map((m) =>
    m[0].replace(/\r\n/g, '\n'),
  );
  return `${[...new Set(blocks)].join('\n')}\n`;
}

function wantedData(info: AuthenticationInfo, current: Record<string, string>): Record<string, string> {
  const data: Record<string, string> = { ...current };
  if (info.clientCAPem) data['client-ca-file'] = mergeBundles(current['client-ca-file'], info.clientCAPem);
  const rh = info.requestHeader;
  if (rh) {
    data['requestheader-client-ca-file'] = mergeBundles(current['requestheader-client-ca-file'], rh.ca.pem);
    data['requestheader-allowed-names'] = JSON.stringify(rh.allowedNames);
    data['requestheader-username-headers'] = JSON.stringify(rh.usernameHeaders);
    data['requestheader-uid-headers'] = JSON.stringify(rh.uidHeaders);
    data['requestheader-group-headers'] = JSON.stringify(rh.groupHeaders);
    data['requestheader-extra-headers-prefix'] = JSON.stringify(rh.extraHeaderPrefixes);
  }
  return data;
}

const raced = (e: unknown) => e instanceof StatusError && (e.reason === 'Conflict' || e.reason === 'AlreadyExists');

/** Creates or updates the ConfigMap; a write raced by another apiserver is retried on the new state. */
export async function publishAuthenticationInfo(registries: Registries, info: AuthenticationInfo): Promise<void> {
  if (!info.clientCAPem && !info.requestHeader) return;
  const reg = registries.get('', 'configmaps')!;
  const { namespace, name } = AUTHENTICATION_INFO;
  for (let attempt = 0; attempt < 5; attempt++) {
    let current: ConfigMap | undefined;
    try {
      current = (await reg.get(namespace, name)) as ConfigMap;
    } catch (e) {
      if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
    }
    const data = wantedData(info, current?.data ?? {});
    try {
      if (!current) {
        const created: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
        await reg.create(namespace, created, apiserverContext(), { dryRun: false });
      } else if (!jsonEqual(data, current.data ?? {})) {
        const updated: ConfigMap = { ...current, data };
        await reg.update(namespace, name, updated, '', apiserverContext(), { dryRun: false });
      }
      return;
    } catch (e) {
      if (!raced(e)) throw e;
    }
  }
}
