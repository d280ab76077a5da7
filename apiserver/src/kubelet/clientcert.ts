// --kubelet-client-certificate/--kubelet-client-key as content that follows its files, so a renewed
// apiserver-kubelet-client pair is used without a restart.
import type { Logger } from '@mkube/shared/log';
import { type CertKeyPair, type DynamicFileContent, dynamicCertKeyPair } from '@mkube/shared/tls';
import type { KubeletClientConfig } from '../config/config.js';

/** Absent when the apiserver has no client certificate toward kubelets. */
export function kubeletClientCertificate(
  config: KubeletClientConfig,
  log: Logger,
): DynamicFileContent<CertKeyPair> | undefined {
  if (!config.certFile || !config.keyFile || !config.certPem || !config.keyPem) return undefined;
  return dynamicCertKeyPair(
    'kubelet-client',
    { flag: 'kubelet-client-certificate', file: config.certFile },
    { flag: 'kubelet-client-key', file: config.keyFile },
    { certPem: config.certPem, keyPem: config.keyPem, certs: [] },
    log.child({ component: 'dynamic-certificates' }),
  );
}
