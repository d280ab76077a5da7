// A client certificate pair the apiserver presents when it calls out (--kubelet-client-certificate
// toward kubelets, --proxy-client-cert-file toward aggregated APIs), as content that follows its
// files: a renewed pair is used without a restart, as client-go's ReloadTLSFiles does for kube-apiserver.
import type { Logger } from '@mkube/shared/log';
import { type CertKeyPair, type DynamicFileContent, dynamicCertKeyPair } from '@mkube/shared/tls';

export interface ClientPairFiles {
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** Absent when no pair is configured. */
export function dynamicClientPair(
  purpose: string,
  flags: { readonly cert: string; readonly key: string },
  config: ClientPairFiles,
  log: Logger,
): DynamicFileContent<CertKeyPair> | undefined {
  if (!config.certFile || !config.keyFile || !config.certPem || !config.keyPem) return undefined;
  return dynamicCertKeyPair(
    purpose,
    { flag: flags.cert, file: config.certFile },
    { flag: flags.key, file: config.keyFile },
    { certPem: config.certPem, keyPem: config.keyPem, certs: [] },
    log.child({ component: 'dynamic-certificates' }),
  );
}
