// --secure-port and its delegated auth, loaded by the controller-manager's (k8s.io/apiserver's)
// option code. Only --cert-dir differs: kube-scheduler keeps its self-signed pair there as
// kube-scheduler.{crt,key}, so that pair is made (or read) here and handed on as the serving files.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { loadSecureServing, type SecureServingConfig, selfSigned } from '@mkube/controller-manager/options';
import { writeFileAtomic } from '@mkube/shared/atomicfile';
import type { ConfigProblem, FlagValues } from '@mkube/shared/flags';

export type { SecureServingConfig };

const PAIR_NAME = 'kube-scheduler';
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export async function loadSchedulerServing(
  flags: FlagValues,
  problems: ConfigProblem[],
): Promise<SecureServingConfig | undefined> {
  const certDir = str(flags['cert-dir']);
  const given = str(flags['tls-cert-file']) || str(flags['tls-private-key-file']);
  const bind = str(flags['bind-address']) || '0.0.0.0';
  // Without a pair to make, or with flags the shared loader will refuse: it reports them.
  if (!certDir || given || Number(flags['secure-port']) === 0 || !isIP(bind)) return loadSecureServing(flags, problems);
  const crt = join(certDir, `${PAIR_NAME}.crt`);
  const key = join(certDir, `${PAIR_NAME}.key`);
  if (!existsSync(crt) || !existsSync(key)) {
    const pair = await selfSigned(bind);
    await writeFileAtomic(crt, pair.certPem, { mode: 0o644 });
    await writeFileAtomic(key, pair.keyPem, { mode: 0o600 });
  }
  return loadSecureServing({ ...flags, 'cert-dir': '', 'tls-cert-file': crt, 'tls-private-key-file': key }, problems);
}
