// --authorization-mode: the named authorizers in order, as one union (the first Allow or Deny wins).
import type { ClusterRole, ClusterRoleBinding, Pod, Role, RoleBinding } from '@mkube/shared/api';
import { type Authorizer, alwaysAllowAuthorizer, unionAuthorizer } from '@mkube/shared/auth';
import type { Logger } from '@mkube/shared/log';
import type { AuthorizationMode } from '../config/config.js';
import type { AuthorizationWebhookConfig } from '../config/webhook.js';
import { Informer } from '../informers/index.js';
import type { Registries } from '../registry/index.js';
import { NodeAuthorizer } from './node/index.js';
import { RbacAuthorizer } from './rbac/index.js';
import { type AuthorizationWebhook, authorizationWebhook } from './webhook/index.js';

/** AlwaysDeny answers "no opinion", so with nothing after it every request is forbidden (upstream's text). */
const alwaysDenyAuthorizer: Authorizer = {
  async authorize() {
    return { decision: 'NoOpinion', reason: 'Everything is forbidden.' };
  },
};

export interface BuiltAuthorizer {
  readonly authorizer: Authorizer;
  /** The RBAC authorizer when RBAC is a mode (rules reviews use it). */
  readonly rbac?: RbacAuthorizer;
  /** Starts the caches the authorizers read; resolves once they are synced. */
  start(): Promise<void>;
  stop(): void;
}

export function buildAuthorizer(
  modes: readonly AuthorizationMode[],
  registries: Registries,
  log: Logger,
  /** --authorization-webhook-*: required when Webhook is a mode (the config refuses it otherwise). */
  webhookConfig?: AuthorizationWebhookConfig,
): BuiltAuthorizer {
  const informers: Informer[] = [];
  let webhook: AuthorizationWebhook | undefined;
  let rbac: RbacAuthorizer | undefined;
  const inf = <T extends Role | ClusterRole | RoleBinding | ClusterRoleBinding>(resource: string) => {
    const i = new Informer<T>(registries.get('rbac.authorization.k8s.io', resource)!, log);
    informers.push(i as unknown as Informer);
    return i;
  };
  // Every mode has a factory, so a new mode cannot compile without one.
  const factories: Record<AuthorizationMode, () => Authorizer> = {
    AlwaysAllow: () => alwaysAllowAuthorizer,
    AlwaysDeny: () => alwaysDenyAuthorizer,
    Node: () => {
      const pods = new Informer<Pod>(registries.get('', 'pods')!, log);
      informers.push(pods as unknown as Informer);
      return new NodeAuthorizer(pods);
    },
    RBAC: () => {
      rbac = new RbacAuthorizer({
        roles: inf<Role>('roles'),
        clusterRoles: inf<ClusterRole>('clusterroles'),
        roleBindings: inf<RoleBinding>('rolebindings'),
        clusterRoleBindings: inf<ClusterRoleBinding>('clusterrolebindings'),
      });
      return rbac;
    },
    Webhook: () => {
      if (!webhookConfig) throw new Error("authorization-mode Webhook's authorization config file not passed");
      webhook = authorizationWebhook(webhookConfig, log.child({ component: 'authorization-webhook' }));
      return webhook;
    },
  };
  const members = modes.map((m) => factories[m]());
  return {
    authorizer: members.length === 1 ? members[0]! : unionAuthorizer(...members),
    rbac,
    async start() {
      await Promise.all(informers.map((i) => i.start()));
    },
    stop() {
      for (const i of informers) i.stop();
      webhook?.close();
    },
  };
}
