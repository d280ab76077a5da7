// The secure port's client CA and front-proxy (request-header) settings when they come from ConfigMap
// kube-system/extension-apiserver-authentication: kept current from a watch on that one ConfigMap, as
// k8s.io/apiserver's ConfigMapCAController and DynamicRequestHeaderController keep
// kube-controller-manager's. A bundle or list that does not parse is logged and ignored (the last
// good one stays); so is the ConfigMap's deletion.
import { AUTHENTICATION_INFO, type ConfigMap } from '@mkube/shared/api';
import { type KubeClient, ListWatcher } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { type ParsedCertificate, parseCertificatesPem } from '@mkube/shared/pki';
import { type RequestHeaderInfo, RH_LISTS, requestHeaderFromConfigMap } from '../options/authenticationinfo.js';

export type { RequestHeaderInfo };

export class ConfigMapAuthenticationInfo {
  #pem: string;
  #roots: readonly ParsedCertificate[];
  #rhKey: string;
  #requestHeader: RequestHeaderInfo | undefined;
  readonly #log: Logger;
  readonly #watch: { readonly clientCA: boolean; readonly requestHeader: boolean };

  /**
   * `data`: the ConfigMap's data as looked up at start. `watch` says which parts come from it (the
   * others come from flags): only those are taken from later versions.
   */
  constructor(
    data: Record<string, string>,
    watch: { readonly clientCA: boolean; readonly requestHeader: boolean },
    log: Logger,
  ) {
    this.#watch = watch;
    this.#log = log;
    this.#pem = watch.clientCA ? (data['client-ca-file'] ?? '') : '';
    this.#roots = this.#pem ? parseCertificatesPem(this.#pem) : [];
    this.#rhKey = watch.requestHeader ? rhKeyOf(data) : '';
    this.#requestHeader = watch.requestHeader ? requestHeaderFromConfigMap(data) : undefined;
  }

  /** The bundle now: a new array only when it changed (the x509 authenticator keys its cache on it). */
  get roots(): readonly ParsedCertificate[] {
    return this.#roots;
  }

  /** The front proxy's settings now; undefined while the ConfigMap has none. */
  get requestHeader(): RequestHeaderInfo | undefined {
    return this.#requestHeader;
  }

  #take(cm: ConfigMap): void {
    const data = cm.data ?? {};
    if (this.#watch.clientCA) this.#takeClientCA(data['client-ca-file'] ?? '');
    if (this.#watch.requestHeader) this.#takeRequestHeader(data);
  }

  #takeClientCA(pem: string): void {
    if (pem === this.#pem) return;
    let roots: ParsedCertificate[];
    try {
      roots = parseCertificatesPem(pem);
      if (roots.length === 0) throw new Error('no certificate in it');
    } catch (e) {
      this.#log.warn({ err: (e as Error).message }, `ignoring client-ca-file of configmap ${AUTHENTICATION_INFO.name}`);
      return;
    }
    this.#pem = pem;
    this.#roots = roots;
    this.#log.info({ certificates: roots.length }, 'client CA updated');
  }

  #takeRequestHeader(data: Record<string, string>): void {
    const key = rhKeyOf(data);
    if (key === this.#rhKey) return;
    let next: RequestHeaderInfo | undefined;
    try {
      next = requestHeaderFromConfigMap(data);
    } catch (e) {
      this.#log.warn(
        { err: (e as Error).message },
        `ignoring the request-header settings of configmap ${AUTHENTICATION_INFO.name}`,
      );
      return;
    }
    this.#rhKey = key;
    this.#requestHeader = next;
    this.#log.info(
      next
        ? { certificates: next.roots.length, allowedNames: next.allowedNames, usernameHeaders: next.usernameHeaders }
        : {},
      next ? 'request-header settings updated' : 'request-header settings withdrawn',
    );
  }

  /** Watches the ConfigMap until `signal` aborts. */
  run(client: KubeClient, signal: AbortSignal): void {
    const lw = new ListWatcher<ConfigMap>({
      source: client.resource<ConfigMap>({
        group: '',
        version: 'v1',
        resource: 'configmaps',
        namespace: AUTHENTICATION_INFO.namespace,
      }),
      name: 'configmaps',
      fieldSelector: `metadata.name=${AUTHENTICATION_INFO.name}`,
      handlers: { onAdd: (cm) => this.#take(cm), onUpdate: (_old, cm) => this.#take(cm) },
      logger: this.#log,
    });
    void lw
      .run(signal)
      .catch((e: unknown) => this.#log.error({ err: (e as Error).message }, 'authentication info watch ended'));
  }
}

const rhKeyOf = (data: Record<string, string>) =>
  JSON.stringify([data['requestheader-client-ca-file'] ?? '', ...Object.values(RH_LISTS).map((k) => data[k] ?? '')]);
