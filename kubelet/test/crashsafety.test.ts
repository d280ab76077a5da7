// What a crash or a bad disk leaves in the cert dir must not strand the node (kubernetes#34956,
// #65991, #92676): a corrupt, empty or expired current pair falls back to the newest good earlier
// one, else the kubelet bootstraps again; a stale `-updated.pem` link is adopted; no temp file stays.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CertificateSigningRequest } from '@mkube/shared/api';
import { parsePrivateKeyPem } from '@mkube/shared/pki';
import { CSRS } from '../../controller-manager/test/fixture.ts';
import { CertificateFileStore, parsePair, timestamp } from '../src/certificate/store.ts';
import { type NodeCluster, startNodeCluster } from './fixture.ts';
import { issueShortLived } from './shortcert.ts';

const silent = { info: () => {}, warn: () => {} };

describe('certificate file store', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mkube-store-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names files by local time and keeps them private', () => {
    assert.equal(timestamp(new Date(2026, 0, 2, 3, 4, 5)), '2026-01-02-03-04-05');
  });

  it('refuses to store a pair that does not belong together, writing nothing', async () => {
    const caDir = join(dir, 'ca');
    const { makePki } = await import('../../apiserver/test/server/fixture.ts');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(caDir);
    makePki(caDir);
    const now = Date.now();
    const a = await issueShortLived(caDir, {
      cn: 'x',
      orgs: [],
      serverAuth: false,
      notBefore: new Date(now - 1000),
      notAfter: new Date(now + 3_600_000),
    });
    const b = await issueShortLived(caDir, {
      cn: 'x',
      orgs: [],
      serverAuth: false,
      notBefore: new Date(now - 1000),
      notAfter: new Date(now + 3_600_000),
    });
    const store = new CertificateFileStore(join(dir, 'mismatch'), 'kubelet-client', silent);
    await assert.rejects(store.update(a.certPem, b.keyPem), /does not match/);
    // A key the caller holds (it generated it) is checked against the certificate too.
    await assert.rejects(store.update(a.certPem, b.keyPem, parsePrivateKeyPem(b.keyPem)), /does not match/);
    assert.ok(!existsSync(join(dir, 'mismatch')) || readdirSync(join(dir, 'mismatch')).length === 0);
    assert.throws(() => parsePair('', 'f', new Date()), /empty/);
  });
});

describe('kubelet start on a damaged cert dir', () => {
  let c: NodeCluster;
  before(async () => {
    c = await startNodeCluster();
  });
  after(async () => {
    await c?.close();
  });

  const csrCount = async () => (await c.admin.resource<CertificateSigningRequest>(CSRS).list()).items.length;

  it('falls back to the previous pair when the current one is corrupt, then empty', async () => {
    const k = await c.startKubelet('node-crash');
    await k.kubelet.ready;
    await k.stop();
    const pki = join(k.rootDir, 'pki');
    const good = readlinkSync(join(pki, 'kubelet-client-current.pem'));
    // A newer file that is garbage, made current (what a torn write without fsync leaves).
    const torn = join(pki, 'kubelet-client-2099-01-01-00-00-00.pem');
    writeFileSync(torn, '-----BEGIN CERTIFICATE-----\nMIIB\n', { mode: 0o600 });
    unlinkSync(join(pki, 'kubelet-client-current.pem'));
    symlinkSync(torn, join(pki, 'kubelet-client-current.pem'));
    const before = await csrCount();
    const again = await c.startKubelet('node-crash', { rootDir: k.rootDir });
    await again.kubelet.ready;
    assert.equal(readlinkSync(join(pki, 'kubelet-client-current.pem')), good, 'current points at the last good pair');
    assert.equal(await csrCount(), before, 'no new CSR');
    await again.stop();

    // Now a 0-byte current file, and no good earlier one: bootstrap again.
    for (const f of readdirSync(pki)) if (f.startsWith('kubelet-client-')) rmSync(join(pki, f), { force: true });
    writeFileSync(join(pki, 'kubelet-client-2099-01-01-00-00-01.pem'), '', { mode: 0o600 });
    symlinkSync(join(pki, 'kubelet-client-2099-01-01-00-00-01.pem'), join(pki, 'kubelet-client-current.pem'));
    const third = await c.startKubelet('node-crash', { rootDir: k.rootDir });
    await third.kubelet.ready;
    const now = readlinkSync(join(pki, 'kubelet-client-current.pem'));
    assert.notEqual(now, join(pki, 'kubelet-client-2099-01-01-00-00-01.pem'));
    assert.ok(
      parsePair(readFileSync(now, 'utf8'), now, new Date()).leaf.subject.commonName === 'system:node:node-crash',
    );
    assert.equal(await csrCount(), before + 1, 'one new client CSR');
    await third.stop();
  });

  it('an expired client certificate means a new bootstrap, not a crash loop', async () => {
    const k = await c.startKubelet('node-expired');
    await k.kubelet.ready;
    await k.stop();
    const pki = join(k.rootDir, 'pki');
    for (const f of readdirSync(pki)) if (f.startsWith('kubelet-client-')) rmSync(join(pki, f), { force: true });
    const expired = await issueShortLived(c.fx.dir, {
      cn: 'system:node:node-expired',
      orgs: ['system:nodes'],
      serverAuth: false,
      notBefore: new Date(Date.now() - 120_000),
      notAfter: new Date(Date.now() - 60_000),
    });
    const file = join(pki, 'kubelet-client-2020-01-01-00-00-00.pem');
    writeFileSync(file, `${expired.certPem}${expired.keyPem}`, { mode: 0o600 });
    symlinkSync(file, join(pki, 'kubelet-client-current.pem'));
    const before = await csrCount();
    const again = await c.startKubelet('node-expired', { rootDir: k.rootDir });
    await again.kubelet.ready;
    assert.equal(await csrCount(), before + 1);
    assert.notEqual(readlinkSync(join(pki, 'kubelet-client-current.pem')), file);
    await again.stop();
  });

  it('adopts a -updated.pem link left between unlink and rename, and leaves no temp file', async () => {
    const k = await c.startKubelet('node-updated');
    await k.kubelet.ready;
    await k.stop();
    const pki = join(k.rootDir, 'pki');
    const target = readlinkSync(join(pki, 'kubelet-server-current.pem'));
    unlinkSync(join(pki, 'kubelet-server-current.pem'));
    symlinkSync(target, join(pki, 'kubelet-server-updated.pem'));
    writeFileSync(join(pki, '.kubelet-server-current.pem.0123456789ab.tmp'), 'half');
    const before = await csrCount();
    const again = await c.startKubelet('node-updated', { rootDir: k.rootDir });
    await again.kubelet.ready;
    assert.equal(readlinkSync(join(pki, 'kubelet-server-current.pem')), target);
    assert.equal(await csrCount(), before);
    assert.deepEqual(
      readdirSync(pki).filter((f) => f.endsWith('.tmp') || f.includes('-updated')),
      [],
    );
    await again.stop();
  });
});
