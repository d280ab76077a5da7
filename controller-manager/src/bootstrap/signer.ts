// bootstrapsigner (k8s pkg/controller/bootstrap/bootstrapsigner.go, facts §10): keeps
// kube-public/cluster-info signed with one detached JWS per signing-enabled bootstrap token, under
// `jws-kubeconfig-<token-id>`; drops signatures of tokens deleted, expired or no longer for
// signing; writes only when something changed. Token expirations are scheduled, so a signature
// goes away when its token expires, not at the next unrelated event.
import type { ConfigMap, Secret } from '@mkube/shared/api';
import { computeDetachedSignature, expirationOf } from '@mkube/shared/bootstraptoken';
import type { KubeClient } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { type Controller, runQueue, WorkQueue } from '../controller.js';
import { RESOURCES, type SharedInformer } from '../informers/index.js';
import { signingTokenOf } from './tokens.js';

export const CLUSTER_INFO = { namespace: 'kube-public', name: 'cluster-info' } as const;
export const KUBECONFIG_KEY = 'kubeconfig';
export const JWS_PREFIX = 'jws-kubeconfig-';

/** The `data` cluster-info should have: content untouched, signatures for exactly `tokens`. */
export async function signedData(
  data: Readonly<Record<string, string>>,
  tokens: readonly { id: string; secret: string }[],
): Promise<Record<string, string>> {
  const content = data[KUBECONFIG_KEY] ?? '';
  const next: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) if (!k.startsWith(JWS_PREFIX)) next[k] = v;
  for (const t of tokens) next[`${JWS_PREFIX}${t.id}`] = await computeDetachedSignature(content, t.id, t.secret);
  return next;
}

const sameData = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

export class BootstrapSigner implements Controller {
  readonly name = 'bootstrap-signer-controller';
  readonly queue = new WorkQueue('bootstrap-signer');
  static readonly KEY = `${CLUSTER_INFO.namespace}/${CLUSTER_INFO.name}`;

  constructor(
    readonly client: KubeClient,
    readonly configMaps: SharedInformer<ConfigMap>,
    readonly secrets: SharedInformer<Secret>,
    readonly log: Logger,
  ) {
    const poke = () => this.queue.add(BootstrapSigner.KEY);
    configMaps.addEventHandler({ onAdd: poke, onUpdate: poke });
    secrets.addEventHandler({ onAdd: poke, onUpdate: poke, onDelete: poke });
  }

  run(signal: AbortSignal): Promise<void> {
    this.queue.add(BootstrapSigner.KEY);
    return runQueue(this.queue, 1, () => this.sync(), this.log, signal);
  }

  async sync(now = new Date()): Promise<void> {
    const cm = this.configMaps.store.get(BootstrapSigner.KEY);
    const content = cm?.data?.[KUBECONFIG_KEY];
    if (!cm || content === undefined) return;
    const tokens = [];
    let nextExpiry = Number.POSITIVE_INFINITY;
    for (const s of this.secrets.store.list()) {
      const t = signingTokenOf(s, now);
      if (!t) continue;
      tokens.push(t);
      const exp = expirationOf(s);
      if (exp !== undefined && exp < nextExpiry) nextExpiry = exp;
    }
    if (Number.isFinite(nextExpiry)) this.queue.addAfter(BootstrapSigner.KEY, nextExpiry - now.getTime() + 1);
    const data = cm.data ?? {};
    const next = await signedData(data, tokens);
    if (sameData(data, next)) return;
    await this.client
      .resource<ConfigMap>({ ...RESOURCES.configmaps, namespace: CLUSTER_INFO.namespace })
      .update({ ...cm, data: next });
    this.log.info({ signatures: tokens.map((t) => t.id) }, 'updated cluster-info signatures');
  }
}
