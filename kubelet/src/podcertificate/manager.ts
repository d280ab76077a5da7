// The kubelet's podcertificate manager (KEP-4317, pkg/kubelet/podcertificate): for every
// `podCertificate` source of the API pods on this node it makes a key, asks the named signer for a
// certificate with a PodCertificateRequest (certificates.k8s.io/v1beta1) in the pod's namespace,
// and serves the issued chain to the pod's projected volume, refreshing it with a new key from
// beginRefreshAt on. Requests are watched with the node's own credentials, which the Node
// authorizer allows only with the field selector spec.nodeName=<this node>. Work is one queue of
// (pod, volume, source index) keys, driven by the watch, by pods arriving, and by a refresh pass
// every 1–2 minutes; nothing else polls.
import type { Node, Pod, PodCertificateProjection, PodCertificateRequest, ServiceAccount } from '@mkube/shared/api';
import { newNotFound } from '@mkube/shared/apierrors';
import { type KubeClient, ListWatcher } from '@mkube/shared/client';
import { type ReferenceEventRecorder, referenceOf } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import { generatePodCertificateKey, signProofOfPossession } from '@mkube/shared/pki';
import { runWorkers, WorkQueue } from '@mkube/shared/workqueue';
import { cleanCertificateChain, goQuote, jitterMs } from './helpers.js';
import {
  type CredentialBundle,
  CredentialUnavailableError,
  type CredState,
  credentialBundleOf,
  type FreshState,
  metricsStateOf,
  REFRESH_OVERDUE_MS,
} from './states.js';

/** How many projections of a signer are in a state (kubelet_podcertificate_states). */
export interface PodCertificateStateCount {
  readonly signerName: string;
  readonly state: string;
  readonly count: number;
}

export interface PodCertificateManager {
  /** A pod arrived on the node: its projections are requested. */
  trackPod(pod: Pod): void;
  /** A pod left the node: what was kept for it goes. */
  forgetPod(pod: Pod): void;
  /** The projection's key and chain; throws CredentialUnavailableError with upstream's message. */
  credentialBundle(
    namespace: string,
    podName: string,
    podUID: string,
    volumeName: string,
    sourceIndex: number,
  ): CredentialBundle;
  metricReport(): PodCertificateStateCount[];
}

/** Upstream's NoOpManager: the gate is off, or the pod is a static pod. */
export class NoopPodCertificateManager implements PodCertificateManager {
  trackPod(): void {}
  forgetPod(): void {}
  credentialBundle(): CredentialBundle {
    throw new CredentialUnavailableError('unimplemented');
  }
  metricReport(): PodCertificateStateCount[] {
    return [];
  }
}

/** The pods the kubelet runs from the API (not static pods), as upstream's pod manager gives them. */
export interface PodSource {
  podByUID(uid: string): Pod | undefined;
  pods(): Pod[];
}

/** clock.PassiveClock: what the manager compares beginRefreshAt and notAfter with (ms since the epoch). */
export interface PassiveClock {
  now(): number;
}

export const REAL_CLOCK: PassiveClock = { now: () => Date.now() };

export interface IssuingManagerOptions {
  readonly client: () => KubeClient | undefined;
  readonly nodeName: string;
  readonly pods: PodSource;
  readonly events: ReferenceEventRecorder;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly clock?: PassiveClock;
  /** A projection's credential was issued, replaced, denied or failed: its pod's volumes are set up again now. */
  readonly onCredentialChange?: (podUID: string) => void;
}

/** A request not in the watch this long (plus jitter) after it was created was deleted by someone. */
const ASSUME_DELETED_MS = 10 * 60_000;
const REFRESH_PASS_MS = 60_000;
const PCRS = { group: 'certificates.k8s.io', version: 'v1beta1', resource: 'podcertificaterequests' } as const;

interface ProjectionKey {
  readonly namespace: string;
  readonly podName: string;
  readonly podUID: string;
  readonly volumeName: string;
  readonly sourceIndex: number;
}

const keyString = (k: ProjectionKey): string =>
  JSON.stringify([k.namespace, k.podName, k.podUID, k.volumeName, k.sourceIndex]);

function parseKey(s: string): ProjectionKey {
  const [namespace, podName, podUID, volumeName, sourceIndex] = JSON.parse(s) as [
    string,
    string,
    string,
    string,
    number,
  ];
  return { namespace, podName, podUID, volumeName, sourceIndex };
}

/** Go's %v of the key struct, as upstream's "no credentials yet" message prints it. */
const goKey = (k: ProjectionKey): string =>
  `{${k.namespace} ${k.podName} ${k.podUID} ${k.volumeName} ${k.sourceIndex}}`;

/** Every podCertificate source of the pod, with the key naming it. */
function projectionsOf(pod: Pod): { key: ProjectionKey; source: PodCertificateProjection }[] {
  const m = pod.metadata ?? {};
  const out: { key: ProjectionKey; source: PodCertificateProjection }[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    (v.projected?.sources ?? []).forEach((src, sourceIndex) => {
      if (!src.podCertificate) return;
      out.push({
        key: {
          namespace: m.namespace ?? '',
          podName: m.name ?? '',
          podUID: m.uid ?? '',
          volumeName: v.name,
          sourceIndex,
        },
        source: src.podCertificate,
      });
    });
  }
  return out;
}

/**
 * A projection's state, moved on in place. A step still in flight when forgetPod drops the record
 * writes to it harmlessly: nothing reads a dropped record again.
 */
interface ProjectionRecord {
  state: CredState;
}

export class IssuingPodCertificateManager implements PodCertificateManager {
  readonly #o: IssuingManagerOptions;
  readonly #clock: PassiveClock;
  readonly #queue = new WorkQueue('podcertificate');
  readonly #records = new Map<string, ProjectionRecord>();
  #pcrs: ListWatcher<PodCertificateRequest> | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;

  constructor(o: IssuingManagerOptions) {
    this.#o = o;
    this.#clock = o.clock ?? REAL_CLOCK;
  }

  /** Starts watching this node's requests (once the node is registered); work begins once they are listed. */
  start(): void {
    if (this.#pcrs) return;
    const client = () => {
      const c = this.#o.client();
      if (!c) throw new Error('the kubelet is not connected to the API yet');
      return c;
    };
    const requeue = (pcr: PodCertificateRequest) => this.#queueAllProjectionsForPod(pcr.spec?.podUID ?? '');
    const lw = new ListWatcher<PodCertificateRequest>({
      source: {
        list: (opts) => client().resource<PodCertificateRequest>(PCRS).list(opts),
        watch: (opts) => client().resource<PodCertificateRequest>(PCRS).watch(opts),
      },
      name: 'podcertificaterequests',
      fieldSelector: `spec.nodeName=${this.#o.nodeName}`,
      handlers: { onAdd: requeue, onUpdate: (_old, cur) => requeue(cur), onDelete: requeue },
      logger: this.#o.log,
    });
    this.#pcrs = lw;
    const signal = this.#o.signal;
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(this.#refreshTimer);
        this.#queue.shutDown();
      },
      { once: true },
    );
    void lw.run(signal);
    void (async () => {
      this.#o.log.info('podcertificate.IssuingManager starting up');
      if (!(await lw.waitForSync(signal))) return;
      // One worker, as upstream; a failed projection comes back rate-limited.
      void runWorkers(this.#queue, 1, async (k) => {
        try {
          await this.#handleProjection(k);
        } catch (e) {
          if (!signal.aborted) {
            this.#o.log.warn(
              { key: goKey(parseKey(k)), err: (e as Error).message },
              'while handling podCertificate projected volume source',
            );
          }
          throw e;
        }
      });
      this.#refreshPass();
    })();
  }

  trackPod(pod: Pod): void {
    for (const { key } of projectionsOf(pod)) this.#queue.add(keyString(key));
  }

  forgetPod(pod: Pod): void {
    const m = pod.metadata ?? {};
    this.#cleanup(m.namespace ?? '', m.name ?? '', m.uid ?? '');
  }

  credentialBundle(
    namespace: string,
    podName: string,
    podUID: string,
    volumeName: string,
    sourceIndex: number,
  ): CredentialBundle {
    const key = { namespace, podName, podUID, volumeName, sourceIndex };
    const rec = this.#records.get(keyString(key));
    if (!rec) throw new CredentialUnavailableError(`no credentials yet for key=${goKey(key)}`);
    return credentialBundleOf(rec.state);
  }

  metricReport(): PodCertificateStateCount[] {
    const now = this.#clock.now();
    const counts = new Map<string, PodCertificateStateCount>();
    for (const pod of this.#o.pods.pods()) {
      for (const { key, source } of projectionsOf(pod)) {
        const rec = this.#records.get(keyString(key));
        if (!rec) continue;
        const state = metricsStateOf(rec.state, now);
        const id = JSON.stringify([source.signerName, state]);
        const cur = counts.get(id);
        counts.set(id, { signerName: source.signerName, state, count: (cur?.count ?? 0) + 1 });
      }
    }
    return [...counts.values()];
  }

  /** runRefreshPass, every minute with jitter factor 1.0 (JitterUntil): projections due to refresh move on. */
  #refreshPass(): void {
    if (this.#o.signal.aborted) return;
    for (const pod of this.#o.pods.pods()) this.trackPod(pod);
    this.#refreshTimer = setTimeout(() => this.#refreshPass(), REFRESH_PASS_MS * (1 + Math.random()));
    this.#refreshTimer.unref();
  }

  #queueAllProjectionsForPod(uid: string): void {
    const pod = uid ? this.#o.pods.podByUID(uid) : undefined;
    if (pod) this.trackPod(pod);
  }

  #cleanup(namespace: string, podName: string, podUID: string): void {
    for (const k of [...this.#records.keys()]) {
      const key = parseKey(k);
      if (key.namespace === namespace && key.podName === podName && key.podUID === podUID) this.#records.delete(k);
    }
  }

  #pcr(namespace: string, name: string): PodCertificateRequest | undefined {
    return this.#pcrs?.store.get(`${namespace}/${name}`);
  }

  /** handleProjection: one step of the projection's state machine; a throw retries it with backoff. */
  async #handleProjection(k: string): Promise<void> {
    const key = parseKey(k);
    const pod = this.#o.pods.podByUID(key.podUID);
    if (!pod) {
      // Gone from the node: nothing of it is kept.
      this.#cleanup(key.namespace, key.podName, key.podUID);
      return;
    }
    const source = projectionsOf(pod).find(
      (p) => p.key.volumeName === key.volumeName && p.key.sourceIndex === key.sourceIndex,
    )?.source;
    if (!source) {
      // No amount of retrying fixes this.
      this.#o.log.error({ key: goKey(key) }, 'pod does not contain the named podCertificate projected volume source');
      return;
    }
    let rec = this.#records.get(k);
    if (!rec) {
      rec = { state: { kind: 'initial' } };
      this.#records.set(k, rec);
    }
    const s = rec.state;
    switch (s.kind) {
      case 'initial': {
        const { privateKey, pcr } = await this.#request(pod, source, 'initial');
        rec.state = {
          kind: 'wait',
          privateKey,
          pcrName: pcr.metadata!.name!,
          abandonAt: createdAt(pcr) + ASSUME_DELETED_MS + jitterMs(),
        };
        this.#o.log.debug(
          { key: goKey(key), pcr: pcrName(pcr) },
          'PodCertificateRequest created, moving to credStateWait',
        );
        return;
      }
      case 'wait': {
        const pcr = this.#pcr(key.namespace, s.pcrName);
        if (!pcr) {
          // Informer lag, or someone deleted it: only time tells them apart.
          if (this.#clock.now() > s.abandonAt) {
            rec.state = { kind: 'initial' };
            throw new Error(`PodCertificateRequest "${key.namespace}/${s.pcrName}" appears to have been deleted`);
          }
          throw notYetSeen(key.namespace, s.pcrName);
        }
        if (this.#conclude(pod, pcr, rec, s.privateKey)) return;
        this.#o.log.debug({ key: goKey(key), pcr: pcrName(pcr) }, 'PodCertificateRequest not in terminal state');
        return;
      }
      case 'denied':
      case 'failed':
        // Permanent for this pod.
        return;
      case 'fresh': {
        const now = this.#clock.now();
        if (now < s.beginRefreshAt) return;
        this.#lateEvents(pod, s, now);
        const { privateKey, pcr } = await this.#request(pod, source, 'refresh');
        rec.state = {
          ...s,
          kind: 'waitrefresh',
          refreshPrivateKey: privateKey,
          refreshPCRName: pcr.metadata!.name!,
          refreshAbandonAt: createdAt(pcr) + ASSUME_DELETED_MS + jitterMs(),
        };
        this.#o.log.debug(
          { key: goKey(key), pcr: pcrName(pcr) },
          'PodCertificateRequest created, moving to credStateWaitRefresh',
        );
        return;
      }
      case 'waitrefresh': {
        const pcr = this.#pcr(key.namespace, s.refreshPCRName);
        if (!pcr) {
          if (this.#clock.now() > s.refreshAbandonAt) {
            // Back to the credential in hand; the next pass requests a new one.
            const { refreshPrivateKey: _k, refreshPCRName: _n, refreshAbandonAt: _a, ...fresh } = s;
            rec.state = { ...fresh, kind: 'fresh' };
            throw new Error('PodCertificateRequest appears to have been deleted');
          }
          throw notYetSeen(key.namespace, s.refreshPCRName);
        }
        if (this.#conclude(pod, pcr, rec, s.refreshPrivateKey)) return;
        this.#lateEvents(pod, s, this.#clock.now());
        return;
      }
    }
  }

  /** The request's first terminal condition decides; false while it is pending. */
  #conclude(pod: Pod, pcr: PodCertificateRequest, rec: ProjectionRecord, privateKey: Buffer): boolean {
    const st = pcr.status ?? {};
    for (const c of st.conditions ?? []) {
      if (c.type === 'Denied' || c.type === 'Failed') {
        const reason = c.reason ?? '';
        const message = c.message ?? '';
        rec.state = { kind: c.type === 'Denied' ? 'denied' : 'failed', reason, message };
        const did = c.type === 'Denied' ? 'was denied' : 'failed';
        const eventMessage = `PodCertificateRequest ${pcrName(pcr)} ${did}, reason=${goQuote(reason)}, message=${goQuote(message)}`;
        // Upstream's Eventf passes the condition's reason as the format and this message as its
        // argument; a reason cannot hold a verb (its syntax has no '%'), so Go prints this.
        this.#o.events.eventFor(referenceOf(pod), 'Warning', c.type, `${reason}%!(EXTRA string=${eventMessage})`);
        this.#o.log.info({ pod: podName(pod), pcr: pcrName(pcr), reason }, `PodCertificateRequest ${did}`);
        this.#o.onCredentialChange?.(pod.metadata?.uid ?? '');
        return true;
      }
      if (c.type === 'Issued') {
        rec.state = {
          kind: 'fresh',
          privateKey,
          certChain: cleanCertificateChain(st.certificateChain ?? ''),
          beginRefreshAt: Date.parse(st.beginRefreshAt ?? '') + jitterMs(),
          notAfter: Date.parse(st.notAfter ?? ''),
          overdueEventEmitted: false,
          expiredEventEmitted: false,
        };
        this.#o.log.info(
          { pod: podName(pod), pcr: pcrName(pcr), notAfter: st.notAfter },
          'PodCertificateRequest issued',
        );
        this.#o.onCredentialChange?.(pod.metadata?.uid ?? '');
        return true;
      }
    }
    return false;
  }

  /** The Warning Events of a credential past its refresh time or its end, once each. */
  #lateEvents(pod: Pod, s: Omit<FreshState, 'kind'>, now: number): void {
    if (now > s.beginRefreshAt + REFRESH_OVERDUE_MS && !s.overdueEventEmitted) {
      this.#o.events.eventFor(
        referenceOf(pod),
        'Warning',
        'CertificateOverdueForRefresh',
        'PodCertificate refresh overdue',
      );
      s.overdueEventEmitted = true;
    }
    if (now > s.notAfter && !s.expiredEventEmitted) {
      this.#o.events.eventFor(referenceOf(pod), 'Warning', 'CertificateExpired', 'PodCertificate expired');
      s.expiredEventEmitted = true;
    }
  }

  /** createPodCertificateRequest: a new key, its proof over the pod's UID, and the request. */
  async #request(
    pod: Pod,
    source: PodCertificateProjection,
    which: 'initial' | 'refresh',
  ): Promise<{ privateKey: Buffer; pcr: PodCertificateRequest }> {
    const client = this.#o.client();
    if (!client) throw new Error('the kubelet is not connected to the API yet');
    const m = pod.metadata!;
    const namespace = m.namespace ?? '';
    const saName = pod.spec?.serviceAccountName ?? '';
    let sa: ServiceAccount;
    try {
      // Read live for its UID, as upstream does.
      sa = await client
        .resource<ServiceAccount>({ group: '', version: 'v1', resource: 'serviceaccounts', namespace })
        .get(saName, { signal: this.#o.signal });
    } catch (e) {
      throw new Error(`while fetching service account: ${(e as Error).message}`);
    }
    let node: Node;
    try {
      node = await client
        .resource<Node>({ group: '', version: 'v1', resource: 'nodes' })
        .get(this.#o.nodeName, { signal: this.#o.signal });
    } catch (e) {
      throw new Error(`while getting node object: ${(e as Error).message}`);
    }
    const prefix = `while creating ${which} PodCertificateRequest`;
    let key: Awaited<ReturnType<typeof generatePodCertificateKey>>;
    let proof: Buffer;
    try {
      key = await generatePodCertificateKey(source.keyType);
      proof = signProofOfPossession(key.privateKey, m.uid ?? '');
    } catch (e) {
      throw new Error(`${prefix}: while generating keypair: ${(e as Error).message}`);
    }
    const annotations = source.userAnnotations;
    const request: PodCertificateRequest = {
      apiVersion: 'certificates.k8s.io/v1beta1',
      kind: 'PodCertificateRequest',
      metadata: {
        namespace,
        generateName: 'req-',
        // "core/v1", as upstream writes it; no controller or blockOwnerDeletion.
        ownerReferences: [{ apiVersion: 'core/v1', kind: 'Pod', name: m.name ?? '', uid: m.uid ?? '' }],
      },
      spec: {
        signerName: source.signerName,
        podName: m.name ?? '',
        podUID: m.uid ?? '',
        serviceAccountName: saName,
        serviceAccountUID: sa.metadata?.uid ?? '',
        nodeName: this.#o.nodeName,
        nodeUID: node.metadata?.uid ?? '',
        ...(source.maxExpirationSeconds !== undefined && source.maxExpirationSeconds !== null
          ? { maxExpirationSeconds: source.maxExpirationSeconds }
          : {}),
        pkixPublicKey: key.pkixPublicKey.toString('base64'),
        proofOfPossession: proof.toString('base64'),
        // An empty map is omitted (omitempty), as Go sends it.
        ...(annotations && Object.keys(annotations).length > 0 ? { unverifiedUserAnnotations: annotations } : {}),
      },
    };
    try {
      const pcr = await client
        .resource<PodCertificateRequest>({ ...PCRS, namespace })
        .create(request, { signal: this.#o.signal });
      return { privateKey: Buffer.from(key.privateKeyPem), pcr };
    } catch (e) {
      throw new Error(`${prefix}: while creating on API: ${(e as Error).message}`);
    }
  }
}

function createdAt(pcr: PodCertificateRequest): number {
  return Date.parse(pcr.metadata?.creationTimestamp ?? '') || 0;
}

const pcrName = (pcr: PodCertificateRequest): string => `${pcr.metadata?.namespace}/${pcr.metadata?.name}`;
const podName = (pod: Pod): string => `${pod.metadata?.namespace}/${pod.metadata?.name}`;

/** The lister's NotFound while the watch has not shown a request yet: retried with backoff, as upstream. */
function notYetSeen(namespace: string, name: string): Error {
  const nf = newNotFound({ group: 'certificates.k8s.io', resource: 'podcertificaterequest' }, name);
  return new Error(`while getting PodCertificateRequest "${namespace}/${name}": ${nf.message}`);
}
