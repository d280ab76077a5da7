// The apiserver's certificate files, read again when they change, as kube-apiserver's
// DynamicServingCertificateController: --tls-cert-file/--tls-private-key-file ("serving-cert"),
// --client-ca-file ("client-ca-bundle") and --requestheader-client-ca-file ("request-header").
// A change reaches the TLS layer (the certificate served and the CA names a client is offered,
// which Go clients such as kubectl use to pick their certificate), the authenticators (their
// roots) and the published kube-system/extension-apiserver-authentication ConfigMap.
import type { Logger } from '@mkube/shared/log';
import type { ParsedCertificate } from '@mkube/shared/pki';
import {
  type CABundle,
  type CertKeyPair,
  type DynamicFileContent,
  dynamicCABundle,
  dynamicCertKeyPair,
} from '@mkube/shared/tls';
import type { ClientCAConfig, ServingConfig } from '../config/config.js';

export interface ServingCertificates {
  readonly serving: DynamicFileContent<CertKeyPair>;
  readonly clientCA?: DynamicFileContent<CABundle>;
  readonly requestHeaderCA?: DynamicFileContent<CABundle>;
  /** Both CA bundles, as the TLS layer offers them to clients. */
  clientCAPem(): string | undefined;
  clientCARoots(): readonly ParsedCertificate[];
  requestHeaderRoots(): readonly ParsedCertificate[];
  /** Called after any of them changed. */
  onChange(fn: () => void): void;
  run(signal: AbortSignal, intervalMs?: number): void;
}

const bundle = (c: ClientCAConfig): CABundle => ({ pem: c.pem, certs: c.certs });

export function servingCertificates(
  serving: ServingConfig,
  clientCA: ClientCAConfig | undefined,
  requestHeaderCA: ClientCAConfig | undefined,
  log: Logger,
): ServingCertificates {
  const l = log.child({ component: 'dynamic-certificates' });
  const servingContent = dynamicCertKeyPair(
    'serving-cert',
    { flag: 'tls-cert-file', file: serving.certFile },
    { flag: 'tls-private-key-file', file: serving.keyFile },
    // The pair as the configuration read it; its certificates are parsed on the first change.
    { certPem: serving.certPem, keyPem: serving.keyPem, certs: [] },
    l,
  );
  const clientContent = clientCA
    ? dynamicCABundle('client-ca-bundle', { flag: 'client-ca-file', file: clientCA.file }, bundle(clientCA), l)
    : undefined;
  const rhContent = requestHeaderCA
    ? dynamicCABundle(
        'request-header',
        { flag: 'requestheader-client-ca-file', file: requestHeaderCA.file },
        bundle(requestHeaderCA),
        l,
      )
    : undefined;
  const contents: Pick<DynamicFileContent<unknown>, 'addListener' | 'run'>[] = [servingContent];
  if (clientContent) contents.push(clientContent);
  if (rhContent) contents.push(rhContent);
  return {
    serving: servingContent,
    clientCA: clientContent,
    requestHeaderCA: rhContent,
    clientCAPem: () => [clientContent?.current.pem, rhContent?.current.pem].filter((p) => p).join('\n') || undefined,
    clientCARoots: () => clientContent?.current.certs ?? [],
    requestHeaderRoots: () => rhContent?.current.certs ?? [],
    onChange(fn) {
      for (const c of contents) c.addListener(() => fn());
    },
    run(signal, intervalMs) {
      for (const c of contents) c.run(signal, intervalMs);
    },
  };
}
