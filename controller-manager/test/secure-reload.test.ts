// The secure port's --tls-cert-file/--tls-private-key-file and --client-ca-file are read again when
// they change, as kube-controller-manager's (dynamic serving content and client CA).
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  curlStatus,
  eventually,
  issueFromCa,
  makePki,
  type Pki,
  replaceFile,
  tempDir,
} from '../../apiserver/test/server/fixture.ts';
import { freePort } from '../../e2e/src/harness.ts';
import { type Cluster, startCluster } from './fixture.ts';

const SERVING_EXT = 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n';

describe('controller-manager secure port: certificate files reloaded', () => {
  let cl: Cluster;
  let next: Pki;
  let port: number;
  let clientCA: string;
  let servingCrt: string;
  let servingKey: string;

  before(async () => {
    cl = await startCluster();
    // carol, in system:masters, from a CA the secure port does not trust yet.
    next = makePki(tempDir('kcm-next'), { cn: 'carol', orgs: ['system:masters'] }, '/CN=kubernetes-next');
    clientCA = join(cl.fx.dir, 'kcm-client-ca.crt');
    copyFileSync(cl.fx.pki.caCrt, clientCA);
    ({ crt: servingCrt, key: servingKey } = issueFromCa(cl.fx.dir, 'kcm-serving', '/CN=kcm', SERVING_EXT));
    port = await freePort();
    await cl.startKcm([
      '--leader-elect=false',
      `--secure-port=${port}`,
      '--bind-address=127.0.0.1',
      `--tls-cert-file=${servingCrt}`,
      `--tls-private-key-file=${servingKey}`,
      `--client-ca-file=${clientCA}`,
    ]);
  });
  after(async () => {
    await cl?.close();
    if (next) rmSync(next.dir, { recursive: true, force: true });
  });

  const get = (caFile: string, cert = true) =>
    curlStatus(
      `https://127.0.0.1:${port}/metrics`,
      caFile,
      cert ? { crt: next.adminCrt, key: next.adminKey } : undefined,
    );

  it('a CA added to --client-ca-file authenticates without a restart', async () => {
    assert.equal((await get(cl.fx.pki.caCrt)).status, 401);
    replaceFile(clientCA, `${readFileSync(cl.fx.pki.caCrt, 'utf8')}${readFileSync(next.caCrt, 'utf8')}`);
    await eventually('carol authenticated', async () => (await get(cl.fx.pki.caCrt)).status === 200);
  });

  it('a replaced serving certificate is served to new connections', async () => {
    assert.equal((await get(next.caCrt, false)).exit, 60);
    const renewed = issueFromCa(next.dir, 'kcm-serving', '/CN=kcm', SERVING_EXT);
    replaceFile(servingKey, readFileSync(renewed.key));
    replaceFile(servingCrt, readFileSync(renewed.crt));
    await eventually('the renewed certificate served', async () => (await get(next.caCrt, false)).exit === 0);
    assert.equal((await get(cl.fx.pki.caCrt, false)).exit, 60);
  });
});
