// The kubelet reads --client-ca-file and a fixed --tls-cert-file/--tls-private-key-file again when
// they change, as upstream's (DynamicFileCAContent, ReloadKubeletServerCertificateFile): a CA added
// for a rotation authenticates callers of 10250 without a restart, and a replaced serving
// certificate is what new connections get.
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority } from '@mkube/shared/pki';
import {
  eventually,
  issueClient,
  issueFromCa,
  makePki,
  type Pki,
  replaceFile,
  tempDir,
} from '../../apiserver/test/server/fixture.ts';
import { capturingLog, curlKubelet, type NodeCluster, startNodeCluster, type TestKubelet } from './fixture.ts';

const SERVING_EXT =
  'subjectAltName=IP:127.0.0.1,DNS:dyn\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n';

describe('kubelet: dynamic client CA and serving certificate files', () => {
  let cl: NodeCluster;
  let k: TestKubelet;
  let next: Pki;
  let carol: { crt: string; key: string };
  let clientCA: string;
  let servingCrt: string;
  let servingKey: string;
  const logs: string[] = [];

  before(async () => {
    cl = await startNodeCluster();
    const dir = cl.fx.dir;
    clientCA = join(dir, 'kubelet-client-ca.crt');
    copyFileSync(cl.fx.pki.caCrt, clientCA);
    const serving = issueFromCa(dir, 'kubelet-dyn-serving', '/CN=dyn', SERVING_EXT);
    servingCrt = serving.crt;
    servingKey = serving.key;
    next = makePki(tempDir('kubelet-ca2'), undefined, '/CN=kubernetes-next');
    const otherCA = CertificateAuthority.fromPem(readFileSync(next.caCrt), readFileSync(join(next.dir, 'ca.key')));
    carol = await issueClient(cl.fx, 'carol', ['kubeadm:cluster-admins'], otherCA);
    k = await cl.startKubelet('dyn', {
      extra: [
        `--client-ca-file=${clientCA}`,
        '--rotate-server-certificates=false',
        `--tls-cert-file=${servingCrt}`,
        `--tls-private-key-file=${servingKey}`,
      ],
      log: capturingLog(logs),
    });
  });
  after(async () => {
    await cl?.close();
    if (next) rmSync(next.dir, { recursive: true, force: true });
  });

  it('a CA added to --client-ca-file authenticates callers of 10250 without a restart', async () => {
    const opts = { caCrt: cl.fx.pki.caCrt, cert: carol.crt, key: carol.key };
    assert.equal((await curlKubelet(k, '/pods', opts)).status, 401);
    replaceFile(clientCA, `${readFileSync(cl.fx.pki.caCrt, 'utf8')}${readFileSync(next.caCrt, 'utf8')}`);
    await eventually(
      'carol authenticated by the kubelet',
      async () => (await curlKubelet(k, '/pods', opts)).status === 200,
    );
    assert.match(logs.join(''), /Loaded a new CA Bundle and Verifier/);
    // Taken out again: refused again.
    replaceFile(clientCA, readFileSync(cl.fx.pki.caCrt));
    await eventually('carol refused again', async () => (await curlKubelet(k, '/pods', opts)).status === 401);
  });

  it('a replaced --tls-cert-file is served to new connections', async () => {
    assert.equal((await curlKubelet(k, '/healthz', { caCrt: next.caCrt })).exit, 60);
    const renewed = issueFromCa(next.dir, 'kubelet-dyn-serving', '/CN=dyn', SERVING_EXT);
    replaceFile(servingKey, readFileSync(renewed.key));
    replaceFile(servingCrt, readFileSync(renewed.crt));
    await eventually(
      'the renewed serving certificate',
      async () => (await curlKubelet(k, '/healthz', { caCrt: next.caCrt })).exit === 0,
    );
    assert.equal((await curlKubelet(k, '/healthz', { caCrt: cl.fx.pki.caCrt })).exit, 60);
    assert.match(logs.join(''), /Loaded a new cert\/key pair/);
  });
});
