// --service-cluster-ip-range, --service-node-port-range, --advertise-address: defaults as
// kube-apiserver's, and start-up errors that name the flag.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { configError, loadConfig, makePki, type Pki, tempDir } from './fixture.ts';

let dir: string;
let pki: Pki;
before(() => {
  dir = tempDir('services-config');
  pki = makePki(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const load = (extra: string[]) => loadConfig(pki, join(dir, 'data'), extra);
const problem = (extra: string[]): string => configError(() => load(extra));

test('defaults: 10.0.0.0/24, 30000-32767; a loopback bind address advertises the host address', () => {
  const c = load([]);
  assert.equal(c.services.cidr, '10.0.0.0/24');
  assert.deepEqual(c.services.nodePortRange, { base: 30000, size: 2768 });
  // serverArgs binds 127.0.0.1: ResolveBindAddress picks the host's address instead, if it has one.
  assert.doesNotMatch(c.services.advertiseAddress, /^$/);
  const given = load([
    '--service-cluster-ip-range=10.96.3.4/12',
    '--service-node-port-range=31000-31009',
    '--advertise-address=192.0.2.5',
  ]);
  assert.equal(given.services.cidr, '10.96.0.0/12');
  assert.deepEqual(given.services.nodePortRange, { base: 31000, size: 10 });
  assert.equal(given.services.advertiseAddress, '192.0.2.5');
});

test('bad values name the flag', () => {
  assert.match(
    problem(['--service-cluster-ip-range=10.96.0.0']),
    /service-cluster-ip-range.*invalid CIDR address: 10\.96\.0\.0/,
  );
  assert.match(problem(['--service-cluster-ip-range=10.0.0.0/8']), /service-cluster-ip-range.*too large/);
  assert.match(problem(['--service-cluster-ip-range=10.0.0.0/31']), /service-cluster-ip-range.*too small/);
  assert.match(problem(['--service-cluster-ip-range=10.96.0.0/12,fd00::/108']), /service-cluster-ip-range.*dual-stack/);
  assert.match(problem(['--service-node-port-range=32767-30000']), /service-node-port-range.*invalid port range/);
  assert.match(problem(['--advertise-address=not-an-ip']), /advertise-address.*"not-an-ip" is not a valid IP address/);
  assert.match(problem(['--endpoint-reconciler-type=master-count']), /endpoint-reconciler-type.*not supported/);
  assert.match(problem(['--endpoint-reconciler-type=other']), /endpoint-reconciler-type.*must be lease or none/);
  assert.equal(load(['--endpoint-reconciler-type=none']).services.reconcileEndpoints, false);
  assert.equal(load([]).services.reconcileEndpoints, true);
});
