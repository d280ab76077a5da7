// Which identity each controller talks to the apiserver with (k8s.io/controller-manager's
// clientbuilder). By default every controller shares the controller-manager's own client and user
// (SimpleControllerClientBuilder); with --use-service-account-credentials each gets a client of its
// own that authenticates as ServiceAccount kube-system/<name> with a TokenRequest token
// (DynamicControllerClientBuilder), so RBAC grants each controller only its system:controller:<name>
// role. Informers, leader election and the service-account tokens controller stay on the
// controller-manager's own client, as upstream's root client builder.
import { createClient, type KubeClient } from '@mkube/shared/client';
import { anonymousClientOptionsFrom, type ResolvedCredentials } from '@mkube/shared/kubeconfig';
import type { Logger } from '@mkube/shared/log';
import { getOrCreateServiceAccount, ServiceAccountTokenSource } from './tokensource.js';

/** The namespace of the controllers' ServiceAccounts (metav1.NamespaceSystem). */
export const CONTROLLER_SA_NAMESPACE = 'kube-system';

export interface ControllerClientBuilder {
  /** The client controller `name` (its ServiceAccount's name upstream) works with. */
  client(name: string): Promise<KubeClient>;
  /** Closes the clients made here (never the root client). */
  close(): Promise<void>;
}

/** Every controller uses the controller-manager's own credentials. */
export class SimpleControllerClientBuilder implements ControllerClientBuilder {
  constructor(readonly root: KubeClient) {}
  async client(): Promise<KubeClient> {
    return this.root;
  }
  async close(): Promise<void> {}
}

export interface DynamicClientOptions {
  /** The controller-manager's kubeconfig; its server and TLS settings are used, never its user. */
  readonly credentials: ResolvedCredentials;
  readonly userAgent: string;
  readonly namespace?: string;
}

/** One client per ServiceAccount, made on first use and shared by the controllers that name it. */
export class DynamicControllerClientBuilder implements ControllerClientBuilder {
  readonly #root: KubeClient;
  readonly #opts: DynamicClientOptions;
  readonly #log: Logger;
  readonly #clients = new Map<string, KubeClient>();

  constructor(root: KubeClient, opts: DynamicClientOptions, log: Logger) {
    this.#root = root;
    this.#opts = opts;
    this.#log = log;
  }

  async client(name: string): Promise<KubeClient> {
    const have = this.#clients.get(name);
    if (have) return have;
    const namespace = this.#opts.namespace ?? CONTROLLER_SA_NAMESPACE;
    // As upstream's Config(): the ServiceAccount must exist (or be made) before the first client is
    // handed out, so a controller-manager that may not make it fails its start. Once per name: the
    // token source makes it again if it goes.
    await getOrCreateServiceAccount(this.#root, namespace, name, this.#log);
    const raced = this.#clients.get(name);
    if (raced) return raced;
    const log = this.#log.child({ serviceAccount: `${namespace}/${name}` });
    const client = createClient({
      ...anonymousClientOptionsFrom(this.#opts.credentials),
      // serviceaccount.MakeUsername appended, as restclient.AddUserAgent does.
      userAgent: `${this.#opts.userAgent}/system:serviceaccount:${namespace}:${name}`,
      credentialProvider: new ServiceAccountTokenSource(this.#root, { namespace, serviceAccount: name }, log),
      logger: log,
    });
    this.#clients.set(name, client);
    return client;
  }

  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((c) => c.close({ graceMs: 1000 })));
  }
}
