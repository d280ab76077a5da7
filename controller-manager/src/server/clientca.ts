// The client CA of the secure port when it comes from ConfigMap kube-system/
// extension-apiserver-authentication: kept current from a watch on that one ConfigMap, as
// k8s.io/apiserver's ConfigMapCAController keeps kube-controller-manager's. A bundle that does not
// parse is logged and ignored (the last good one stays); so is the ConfigMap's deletion.
import { AUTHENTICATION_INFO, type ConfigMap } from '@mkube/shared/api';
import { type KubeClient, ListWatcher } from '@mkube/shared/client';
import type { Logger } from '@mkube/shared/log';
import { type ParsedCertificate, parseCertificatesPem } from '@mkube/shared/pki';

export class ConfigMapClientCA {
  #pem: string;
  #roots: readonly ParsedCertificate[];
  readonly #log: Logger;

  constructor(initialPem: string | undefined, log: Logger) {
    this.#pem = initialPem ?? '';
    this.#roots = initialPem ? parseCertificatesPem(initialPem) : [];
    this.#log = log;
  }

  /** The bundle now: a new array only when it changed (the x509 authenticator keys its cache on it). */
  get roots(): readonly ParsedCertificate[] {
    return this.#roots;
  }

  #take(cm: ConfigMap): void {
    const pem = cm.data?.['client-ca-file'] ?? '';
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
    void lw.run(signal).catch((e: unknown) => this.#log.error({ err: (e as Error).message }, 'client CA watch ended'));
  }
}
