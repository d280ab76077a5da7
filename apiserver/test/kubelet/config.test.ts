// The --kubelet-* flags: defaults, and start-up errors that name the flag.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger } from '@mkube/shared/log';
import { startApiServer } from '../../src/server/server.ts';
import { configError, loadConfig, makePki, type Pki, tempDir } from '../server/fixture.ts';
import { type KubeletPki, makeKubeletPki } from './fake-kubelet.ts';

let dir: string;
let pki: Pki;
let kpki: KubeletPki;

before(() => {
  dir = tempDir('kubelet-config');
  pki = makePki(dir);
  kpki = makeKubeletPki(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const load = (extra: string[]) => loadConfig(pki, join(dir, 'data'), extra);
const problems = (extra: string[]): string => configError(() => load(extra));

test('defaults', () => {
  const c = load([]);
  assert.deepEqual(c.kubelet.preferredAddressTypes, [
    'Hostname',
    'InternalDNS',
    'InternalIP',
    'ExternalDNS',
    'ExternalIP',
  ]);
  assert.equal(c.kubelet.timeoutMs, 5000);
  assert.equal(c.kubelet.certPem, undefined);
  assert.equal(c.kubelet.caPem, undefined);
});

test('files are read and checked', () => {
  const c = load([
    `--kubelet-client-certificate=${kpki.clientCrt}`,
    `--kubelet-client-key=${kpki.clientKey}`,
    `--kubelet-certificate-authority=${kpki.caCrt}`,
    '--kubelet-timeout=2s',
    '--kubelet-preferred-address-types=InternalIP,Hostname',
  ]);
  assert.match(c.kubelet.certPem ?? '', /BEGIN CERTIFICATE/);
  assert.equal(c.kubelet.timeoutMs, 2000);
  assert.deepEqual(c.kubelet.preferredAddressTypes, ['InternalIP', 'Hostname']);
});

test('unreadable file, key mismatch, bad type: each names its flag', () => {
  assert.match(
    problems([`--kubelet-client-certificate=${join(dir, 'missing.crt')}`, `--kubelet-client-key=${kpki.clientKey}`]),
    /--kubelet-client-certificate ".*missing\.crt": cannot read file: no such file/,
  );
  assert.match(
    problems([`--kubelet-client-certificate=${kpki.clientCrt}`, `--kubelet-client-key=${kpki.serving.ok.key}`]),
    /--kubelet-client-key ".*": private key does not match public key in --kubelet-client-certificate/,
  );
  assert.match(problems([`--kubelet-client-certificate=${kpki.clientCrt}`]), /--kubelet-client-key: must be set/);
  assert.match(
    problems([`--kubelet-certificate-authority=${kpki.clientKey}`]),
    /--kubelet-certificate-authority ".*": (no PEM|not a valid)/,
  );
  assert.match(problems(['--kubelet-preferred-address-types=InternalIP,Bogus']), /unsupported NodeAddressType "Bogus"/);
});

test('no --kubelet-certificate-authority: a warning at start', async () => {
  const lines: string[] = [];
  const log = createLogger({ name: 'kube-apiserver', destination: { write: (l: string) => lines.push(l) } as never });
  const server = await startApiServer(load(['--secure-port=0']), { log, drainTimeoutMs: 1000 });
  await server.stop();
  assert.ok(
    lines.some((l) => l.includes('kubelet serving certificates will not be verified')),
    lines.join(''),
  );
});
