// A client certificate with an exact validity window (expired, or not yet valid), signed by the
// cluster CA with openssl's `ca` command: the CA API only issues from "now".
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCsrPem, type KeyPair } from '@mkube/shared/pki';

const asn1Time = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

export async function issueWindow(
  caCrt: string,
  caKey: string,
  key: KeyPair,
  cn: string,
  orgs: string[],
  notBefore: Date,
  notAfter: Date,
): Promise<string> {
  const d = mkdtempSync(join(tmpdir(), 'mkube-window-'));
  try {
    writeFileSync(join(d, 'req.csr'), await createCsrPem(key, { commonName: cn, organizations: orgs }));
    writeFileSync(join(d, 'index.txt'), '');
    writeFileSync(join(d, 'serial'), '01\n');
    writeFileSync(
      join(d, 'ca.cnf'),
      [
        '[ca]',
        'default_ca = x',
        '[x]',
        `database = ${join(d, 'index.txt')}`,
        `serial = ${join(d, 'serial')}`,
        `new_certs_dir = ${d}`,
        'default_md = sha256',
        'policy = any',
        'unique_subject = no',
        'copy_extensions = none',
        'x509_extensions = ext',
        '[any]',
        'commonName = supplied',
        'organizationName = optional',
        '[ext]',
        'basicConstraints = critical,CA:FALSE',
        'keyUsage = critical,digitalSignature',
        'extendedKeyUsage = clientAuth',
        '',
      ].join('\n'),
    );
    execFileSync(
      'openssl',
      [
        'ca',
        '-batch',
        '-config',
        join(d, 'ca.cnf'),
        '-cert',
        caCrt,
        '-keyfile',
        caKey,
        '-in',
        join(d, 'req.csr'),
        '-out',
        join(d, 'out.crt'),
        '-startdate',
        asn1Time(notBefore),
        '-enddate',
        asn1Time(notAfter),
        '-notext',
        '-preserveDN',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return readFileSync(join(d, 'out.crt'), 'utf8');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
