// `mkube controller-manager` refuses a bad configuration at start, naming the flag and the file.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir } from './helpers.ts';

describe('mkube controller-manager: start-up errors', () => {
  const t = tempDir('kcm-cli');
  before(async () => {
    const r = await runCli(['pki', 'init', `--dir=${t.dir}`]);
    assert.equal(r.code, 0, r.err);
    const other = tempDir('kcm-cli-other');
    await runCli(['pki', 'init', `--dir=${other.dir}`]);
    // A key from another PKI: well-formed, but not the CA's.
    writeFileSync(
      join(t.dir, 'other-ca.key'),
      (await import('node:fs')).readFileSync(join(other.dir, 'pki', 'ca.key')),
    );
    other.cleanup();
  });
  after(() => t.cleanup());
  const pki = (f: string) => join(t.dir, 'pki', f);
  const kcm = (args: string[]) =>
    runCli([
      'controller-manager',
      '--secure-port=0',
      `--kubeconfig=${join(t.dir, 'controller-manager.conf')}`,
      ...args,
    ]);

  it('an unreadable CA file', async () => {
    const r = await kcm([
      `--cluster-signing-cert-file=${join(t.dir, 'nope.crt')}`,
      `--cluster-signing-key-file=${pki('ca.key')}`,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--cluster-signing-cert-file ".*nope\.crt": cannot read file: no such file/);
  });

  it('a CA key that does not match the certificate', async () => {
    const r = await kcm([
      `--cluster-signing-cert-file=${pki('ca.crt')}`,
      `--cluster-signing-key-file=${join(t.dir, 'other-ca.key')}`,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--cluster-signing-cert-file ".*ca\.crt": does not match --cluster-signing-key-file/);
    assert.doesNotMatch(r.err, /PRIVATE KEY/);
  });

  it('a key file that is not a key, a non-CA certificate, mixed and unpaired flags, unknown controllers', async () => {
    const notKey = await kcm([
      `--cluster-signing-cert-file=${pki('ca.crt')}`,
      `--cluster-signing-key-file=${pki('ca.crt')}`,
    ]);
    assert.equal(notKey.code, 1);
    assert.match(notKey.err, /--cluster-signing-key-file ".*ca\.crt": /);
    const leaf = await kcm([
      `--cluster-signing-cert-file=${pki('apiserver.crt')}`,
      `--cluster-signing-key-file=${pki('apiserver.key')}`,
    ]);
    assert.equal(leaf.code, 1);
    assert.match(leaf.err, /not a CA/);
    const mixed = await kcm([
      `--cluster-signing-cert-file=${pki('ca.crt')}`,
      `--cluster-signing-key-file=${pki('ca.key')}`,
      `--cluster-signing-kubelet-serving-cert-file=${pki('ca.crt')}`,
      `--cluster-signing-kubelet-serving-key-file=${pki('ca.key')}`,
    ]);
    assert.match(mixed.err, /may not be combined with the per-signer flags/);
    const unpaired = await kcm([`--cluster-signing-kubelet-client-cert-file=${pki('ca.crt')}`]);
    assert.match(
      unpaired.err,
      /--cluster-signing-kubelet-client-key-file: cert and key files must be specified together/,
    );
    const ctl = await kcm(['--controllers=*,csrsigner']);
    assert.match(ctl.err, /--controllers: "csrsigner" is not in the list of known controllers/);
    const noKc = await runCli(['controller-manager']);
    assert.match(noKc.err, /--kubeconfig: required/);
  });
});
