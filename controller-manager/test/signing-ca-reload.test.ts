// The signing CA files are read again when they change, as upstream's csr-controller CA loader: a CA
// rotated on disk signs the next certificate without a restart; a half-written pair (the key before
// its certificate) is refused and the previous CA keeps signing.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CertificateSigningRequest } from '@mkube/shared/api';
import { isIssued } from '@mkube/shared/certificates';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { makePki, type Pki, replaceFile, run, tempDir } from '../../apiserver/test/server/fixture.ts';
import {
  CONTROLLER_MANAGER_FLAGS,
  loadControllerManagerConfig,
  type RunningControllerManager,
  startControllerManager,
} from '../src/main.ts';
import { type Cluster, createBootstrapToken, postCsr, startCluster, waitCsr, waitFor } from './fixture.ts';

describe('controller-manager: signing CA files reloaded', () => {
  let cl: Cluster;
  let kcm: RunningControllerManager;
  let next: Pki;
  const logs: string[] = [];
  let signingCrt: string;
  let signingKey: string;

  before(async () => {
    cl = await startCluster();
    // The signer's own copy of the CA: the apiserver's --client-ca-file stays as it is.
    signingCrt = join(cl.fx.dir, 'signing.crt');
    signingKey = join(cl.fx.dir, 'signing.key');
    copyFileSync(cl.fx.pki.caCrt, signingCrt);
    copyFileSync(join(cl.fx.dir, 'ca.key'), signingKey);
    const args = cl
      .kcmArgs(['--leader-elect=false'])
      .filter((a) => !a.startsWith('--cluster-signing-'))
      .concat([`--cluster-signing-cert-file=${signingCrt}`, `--cluster-signing-key-file=${signingKey}`]);
    const parsed = parseFlags(CONTROLLER_MANAGER_FLAGS, args);
    const config = await loadControllerManagerConfig(parsed.flags, parsed.given);
    const log = createLogger({ name: 'kcm', destination: { write: (s: string) => logs.push(s) } as never });
    kcm = await startControllerManager(config, { log });
    await createBootstrapToken(cl.admin, 'abcdef', '0123456789abcdef', {
      'usage-bootstrap-authentication': 'true',
      expiration: '2099-01-01T00:00:00Z',
    });
    next = makePki(tempDir('kcm-ca2'), undefined, '/CN=kubernetes-next');
  });
  after(async () => {
    await kcm?.stop();
    await cl?.close();
    if (next) rmSync(next.dir, { recursive: true, force: true });
  });

  /** Posts a kubelet client CSR and returns its issued certificate's file. */
  async function issue(name: string): Promise<string> {
    const { csr } = await postCsr(cl.tokenClient('abcdef.0123456789abcdef'), { cn: `system:node:${name}` });
    const done = await waitCsr(cl.admin, csr.metadata!.name!, (c: CertificateSigningRequest) => isIssued(c));
    const file = join(cl.fx.dir, `${name}.crt`);
    writeFileSync(file, Buffer.from(done.status!.certificate!, 'base64'));
    return file;
  }
  const verifies = async (ca: string, file: string) => (await run('openssl', ['verify', '-CAfile', ca, file])).status;

  it('signs with the CA it started with, then with the one that replaced it on disk', async () => {
    const first = await issue('before');
    assert.equal(await verifies(cl.fx.pki.caCrt, first), 0);
    assert.notEqual(await verifies(next.caCrt, first), 0);

    // The key first: until its certificate follows, the pair does not match and is not taken.
    const mark = logs.length;
    replaceFile(signingKey, readFileSync(join(next.dir, 'ca.key')));
    await waitFor('the mismatch logged', async () =>
      /does not match/.test(logs.slice(mark).join('')) ? true : undefined,
    );
    assert.match(logs.slice(mark).join(''), /keeping the previous content/);
    const during = await issue('during');
    assert.equal(await verifies(cl.fx.pki.caCrt, during), 0, 'the previous CA still signs');

    replaceFile(signingCrt, readFileSync(next.caCrt));
    await waitFor('the new CA loaded', async () =>
      /Loaded a new cert\/key pair/.test(logs.slice(mark).join('')) ? true : undefined,
    );
    assert.ok(logs.slice(mark).join('').includes(`csr-controller::${signingCrt}::${signingKey}`));
    const after = await issue('after');
    assert.equal(await verifies(next.caCrt, after), 0, 'signed by the new CA');
    assert.notEqual(await verifies(cl.fx.pki.caCrt, after), 0);
  });
});
