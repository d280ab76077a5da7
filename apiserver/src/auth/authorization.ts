// --authorization-mode or --authorization-config: the authorizers in order, as one union (the first
// Allow or Deny wins).

import { readFileSync } from 'node:fs';
import type {
  ClusterRole,
  ClusterRoleBinding,
  PersistentVolume,
  Pod,
  PodCertificateRequest,
  Role,
  RoleBinding,
  VolumeAttachment,
} from '@mkube/shared/api';
import { type Authorizer, alwaysAllowAuthorizer, unionAuthorizer } from '@mkube/shared/auth';
import type { FeatureGate } from '@mkube/shared/featuregate';
import type { Logger } from '@mkube/shared/log';
import type { AuthorizationMode } from '../config/config.js';
import { watchFileContent } from '../config/filewatch.js';
import type { AuthorizationWebhookConfig } from '../config/webhook.js';
import { Informer } from '../informers/index.js';
import type { Registries } from '../registry/index.js';
import {
  type AuthorizerEntry,
  type AuthorizerType,
  parseAuthorizationConfiguration,
} from './authorizationconfig/load.js';
import { structuredWebhookAuthorizer } from './authorizationconfig/webhook.js';
import { NodeAuthorizer } from './node/index.js';
import { RbacAuthorizer } from './rbac/index.js';
import { allowAllRules, nodeRules, noRules, type RuleResolver, unionRuleResolver, webhookRules } from './rules.js';
import { authorizationWebhook } from './webhook/index.js';

/** AlwaysDeny answers "no opinion", so with nothing after it every request is forbidden (upstream's text). */
const alwaysDenyAuthorizer: Authorizer = {
  async authorize() {
    return { decision: 'NoOpinion', reason: 'Everything is forbidden.' };
  },
};

/**
 * kube-apiserver puts this before every configured authorizer (authorizerfactory.NewPrivilegedGroups):
 * a member of system:masters is allowed everything, whatever the modes or webhooks say.
 */
const privilegedGroupsAuthorizer: Authorizer = {
  async authorize(a) {
    return a.user.groups.includes('system:masters')
      ? { decision: 'Allow', reason: '' }
      : { decision: 'NoOpinion', reason: '' };
  },
};

export interface BuiltAuthorizer {
  readonly authorizer: Authorizer;
  /** The RBAC authorizer when RBAC is a mode (escalation checks use it). */
  readonly rbac?: RbacAuthorizer;
  /** Each configured authorizer's rules for a user, in order (SelfSubjectRulesReview). */
  readonly ruleResolver: RuleResolver;
  /** Starts the caches the authorizers read; resolves once they are synced. */
  start(): Promise<void>;
  /** Whether every cache the running authorizers read has listed (the readyz informer-sync check). */
  hasSynced(): boolean;
  stop(): void;
}

export interface BuildAuthorizerOptions {
  /** --authorization-webhook-*: the legacy Webhook mode's settings (the config refuses the mode without them). */
  readonly legacyWebhook?: AuthorizationWebhookConfig;
  /** --authorization-config: watched; a change that loads and validates replaces the chain. */
  readonly file?: string;
  /** How often the file's stat is polled (default 1 s). */
  readonly pollIntervalMs?: number;
  /** /metrics: each configured authorizer's terminal decisions (authorizationmetrics.InstrumentedAuthorizer). */
  readonly recordDecision?: (type: AuthorizerType, name: string, decision: 'allowed' | 'denied') => void;
  /** Told the outcome of each automatic reload of --authorization-config. */
  readonly reloads?: { reloaded(status: 'success' | 'failure'): void };
  /** --feature-gates: the Node authorizer's static rules depend on them. */
  readonly gates?: FeatureGate;
}

/** Counts an authorizer's Allow and Deny by its type and name; no opinion is not terminal and not counted. */
function instrumented(
  e: AuthorizerEntry,
  inner: Authorizer,
  record: NonNullable<BuildAuthorizerOptions['recordDecision']>,
): Authorizer {
  return {
    async authorize(a) {
      const r = await inner.authorize(a);
      if (r.decision === 'Allow') record(e.type, e.name, 'allowed');
      else if (r.decision === 'Deny') record(e.type, e.name, 'denied');
      return r;
    },
  };
}

/** --authorization-mode as authorizer entries (the legacy flags' names). */
export function entriesForModes(modes: readonly AuthorizationMode[]): AuthorizerEntry[] {
  return modes.map((m) => ({ type: m, name: m.toLowerCase() }));
}

/**
 * The authorizers in order, as one union (the first Allow or Deny wins). Node and RBAC are built
 * once and kept across reloads of --authorization-config (their caches stay warm); webhooks are
 * built per configuration.
 */
export function buildAuthorizer(
  entries: readonly AuthorizerEntry[],
  registries: Registries,
  log: Logger,
  opts: BuildAuthorizerOptions = {},
): BuiltAuthorizer {
  const informers: Informer[] = [];
  let rbac: RbacAuthorizer | undefined;
  let node: NodeAuthorizer | undefined;
  const inf = <T extends Role | ClusterRole | RoleBinding | ClusterRoleBinding>(resource: string) => {
    const i = new Informer<T>(registries.get('rbac.authorization.k8s.io', resource)!, log);
    informers.push(i as unknown as Informer);
    return i;
  };
  const rbacAuthorizer = () => {
    rbac ??= new RbacAuthorizer({
      roles: inf<Role>('roles'),
      clusterRoles: inf<ClusterRole>('clusterroles'),
      roleBindings: inf<RoleBinding>('rolebindings'),
      clusterRoleBindings: inf<ClusterRoleBinding>('clusterrolebindings'),
    });
    return rbac;
  };
  const nodeAuthorizer = () => {
    if (!node) {
      const pods = new Informer<Pod>(registries.get('', 'pods')!, log);
      informers.push(pods as unknown as Informer);
      // PodCertificateRequests are read only with the gate on (the Node authorizer's graph gains them then).
      let pcrs: Informer<PodCertificateRequest> | undefined;
      const pcrRegistry = registries.get('certificates.k8s.io', 'podcertificaterequests');
      if (opts.gates?.enabled('PodCertificateRequest') && pcrRegistry) {
        pcrs = new Informer<PodCertificateRequest>(pcrRegistry, log);
        informers.push(pcrs as unknown as Informer);
      }
      node = new NodeAuthorizer(pods, opts.gates, pcrs);
      // PersistentVolumes feed the graph's pv → pvc and secret → pv edges.
      const pvRegistry = registries.get('', 'persistentvolumes');
      if (pvRegistry) {
        const pvs = new Informer<PersistentVolume>(pvRegistry, log);
        informers.push(pvs as unknown as Informer);
        node.addPersistentVolumes(pvs);
      }
      // VolumeAttachments feed the graph's attachment → node edges.
      const vaRegistry = registries.get('storage.k8s.io', 'volumeattachments');
      if (vaRegistry) {
        const vas = new Informer<VolumeAttachment>(vaRegistry, log);
        informers.push(vas as unknown as Informer);
        node.addVolumeAttachments(vas);
      }
    }
    return node;
  };
  const compose = (list: readonly AuthorizerEntry[]) => {
    const closers: (() => void)[] = [];
    // Every type has a factory, so a new type cannot compile without one.
    const factories: Record<AuthorizerType, (e: AuthorizerEntry) => Authorizer> = {
      AlwaysAllow: () => alwaysAllowAuthorizer,
      AlwaysDeny: () => alwaysDenyAuthorizer,
      Node: nodeAuthorizer,
      RBAC: rbacAuthorizer,
      Webhook: (e) => {
        const child = log.child({ component: 'authorization-webhook', authorizer: e.name });
        if (e.webhook) {
          const w = structuredWebhookAuthorizer(e.name, e.webhook, child);
          closers.push(() => w.close());
          return w;
        }
        if (!opts.legacyWebhook) throw new Error("authorization-mode Webhook's authorization config file not passed");
        const w = authorizationWebhook(opts.legacyWebhook, child);
        closers.push(() => w.close());
        return w;
      },
    };
    const record = opts.recordDecision;
    const members = list.map((e) => (record ? instrumented(e, factories[e.type](e), record) : factories[e.type](e)));
    // As upstream, system:masters' authorizer lists no rules: its members see cluster-admin's through RBAC.
    const resolvers: Record<AuthorizerType, () => RuleResolver> = {
      AlwaysAllow: () => allowAllRules,
      AlwaysDeny: () => noRules,
      Node: () => nodeRules,
      RBAC: rbacAuthorizer,
      Webhook: () => webhookRules,
    };
    return {
      authorizer: unionAuthorizer(privilegedGroupsAuthorizer, ...members),
      ruleResolver: unionRuleResolver(list.map((e) => resolvers[e.type]())),
      close: () => {
        for (const c of closers) c();
      },
    };
  };
  let current = compose(entries);
  let started = false;
  let unwatch: (() => void) | undefined;
  const reload = async (file: string) => {
    try {
      const next = parseAuthorizationConfiguration(readFileSync(file, 'utf8'));
      const known = informers.length;
      const composed = compose(next);
      // A type the running chain did not have (Node, RBAC) brings caches that must sync first.
      await Promise.all(informers.slice(known).map((i) => i.start()));
      const old = current;
      current = composed;
      old.close();
      opts.reloads?.reloaded('success');
      log.info(
        { file, authorizers: next.map((e) => `${e.type}/${e.name}`) },
        'reloaded the authorization configuration',
      );
    } catch (e) {
      opts.reloads?.reloaded('failure');
      log.error(
        { file, err: (e as Error).message },
        'the authorization configuration did not load; keeping the running one',
      );
    }
  };
  return {
    authorizer: { authorize: (a) => current.authorizer.authorize(a) },
    ruleResolver: { rulesFor: (user, namespace) => current.ruleResolver.rulesFor(user, namespace) },
    get rbac() {
      return rbac;
    },
    async start() {
      await Promise.all(informers.map((i) => i.start()));
      if (opts.file && !started) {
        const file = opts.file;
        unwatch = watchFileContent(file, () => reload(file), opts.pollIntervalMs);
      }
      started = true;
    },
    hasSynced: () => informers.every((i) => i.hasSynced()),
    stop() {
      unwatch?.();
      for (const i of informers) i.stop();
      current.close();
    },
  };
}
