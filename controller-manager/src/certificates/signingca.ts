// The signing CAs' files, read again when they change, as upstream's signer reads its CA through
// dynamiccertificates ("csr-controller"): a CA rotated on disk signs the next certificate without a
// restart. A pair that does not load (a key not of the certificate, a file half-written) is
// logged and the previous CA keeps signing.
import { ConfigError, type ConfigProblem } from '@mkube/shared/flags';
import type { Logger } from '@mkube/shared/log';
import type { CertificateAuthority } from '@mkube/shared/pki';
import { DynamicFileContent } from '@mkube/shared/tls';
import type { Controller } from '../controller.js';
import { loadSigningCA, type SigningCA, type SigningFiles } from '../options/config.js';

/** One dynamic content per CA file pair; each change replaces the CA of that pair's signers in `authorities`. */
export function signingCAContents(
  files: readonly SigningFiles[],
  authorities: Map<string, CertificateAuthority>,
  log: Logger,
): DynamicFileContent<SigningCA>[] {
  return files.map((f) => {
    const content = new DynamicFileContent<SigningCA>(
      `csr-controller::${f.certFile}::${f.keyFile}`,
      [f.certFile, f.keyFile],
      f.loaded,
      () => {
        const problems: ConfigProblem[] = [];
        const loaded = loadSigningCA(f.prefix, f.certFile, f.keyFile, problems);
        if (!loaded) throw new ConfigError(problems);
        return loaded;
      },
      (a, b) => a.certPem === b.certPem && a.keyPem === b.keyPem,
      log,
      'Loaded a new cert/key pair',
    );
    content.addListener((next) => {
      for (const s of f.signers) authorities.set(s, next.ca);
    });
    return content;
  });
}

/** Runs `inner` with the CA files watched for as long as it runs. */
export function withSigningCAs(inner: Controller, contents: readonly DynamicFileContent<SigningCA>[]): Controller {
  return {
    name: inner.name,
    run(signal) {
      for (const c of contents) c.run(signal);
      return inner.run(signal);
    },
  };
}
