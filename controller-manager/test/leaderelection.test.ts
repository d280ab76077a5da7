// Two controller-manager processes on one Lease: only one acts; kill -9 the leader and the other
// takes over within the lease duration; every CSR is issued exactly once across the fail-over.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CertificateSigningRequest, Lease } from '@mkube/shared/api';
import { type Cluster, CSRS, createBootstrapToken, postCsr, startCluster, waitCsr, waitFor } from './fixture.ts';

const MKUBE = fileURLToPath(new URL('../../cli/bin/mkube.js', import.meta.url));
const LEASE_MS = 3000;

describe('controller-manager: leader election', () => {
  let cl: Cluster;
  const procs: ChildProcess[] = [];
  before(async () => {
    cl = await startCluster();
    await createBootstrapToken(cl.admin, 'lead01', '0123456789abcdef', { 'usage-bootstrap-authentication': 'true' });
  });
  after(async () => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    await cl?.close();
  });

  const leases = () =>
    cl.admin.resource<Lease>({
      group: 'coordination.k8s.io',
      version: 'v1',
      resource: 'leases',
      namespace: 'kube-system',
    });
  const holder = async () => (await leases().get('kube-controller-manager')).spec?.holderIdentity ?? '';

  function startKcm(name: string): ChildProcess {
    const out = openSync(join(cl.fx.dir, `${name}.log`), 'a');
    const p = spawn(
      process.execPath,
      [
        MKUBE,
        'controller-manager',
        ...cl.kcmArgs([
          '--leader-elect-lease-duration=3s',
          '--leader-elect-renew-deadline=2s',
          '--leader-elect-retry-period=500ms',
        ]),
      ],
      { stdio: ['ignore', out, out] },
    );
    procs.push(p);
    return p;
  }

  const issue = async () => {
    const { csr } = await postCsr(cl.tokenClient('lead01.0123456789abcdef'), { cn: `system:node:n${Date.now()}` });
    return waitCsr(cl.admin, csr.metadata!.name!, (c) => Boolean(c.status?.certificate), 10_000);
  };

  it('one leader acts; after kill -9 the standby takes over within the lease duration; nothing is signed twice', async () => {
    // Count every change of status.certificate, per CSR, over the whole test.
    const issuedTimes = new Map<string, number>();
    const stop = new AbortController();
    const w = await cl.admin.resource<CertificateSigningRequest>(CSRS).watch({ signal: stop.signal });
    const seen = new Map<string, string>();
    const counting = (async () => {
      try {
        for await (const ev of w) {
          const n = ev.object.metadata?.name ?? '';
          const cert = ev.object.status?.certificate ?? '';
          if (cert && seen.get(n) !== cert) issuedTimes.set(n, (issuedTimes.get(n) ?? 0) + 1);
          seen.set(n, cert);
        }
      } catch {
        // aborted
      }
    })();

    const a = startKcm('kcm-a');
    const first = await waitFor('a leader', async () => (await holder()) || undefined, 20_000);
    const b = startKcm('kcm-b');
    await issue();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await holder(), first, 'the standby does not take a lease that is being renewed');

    a.kill('SIGKILL');
    const killedAt = Date.now();
    const second = await waitFor(
      'a new leader',
      async () => {
        const h = await holder();
        return h && h !== first ? h : undefined;
      },
      LEASE_MS + 5000,
    );
    const took = Date.now() - killedAt;
    assert.notEqual(second, first);
    // The lease runs out 3 s after the last renewal; one retry period (≤ 0.6 s) later it is taken.
    // The slack beyond that is for a loaded 2-core CI machine (the whole suite runs two files at a
    // time): it once measured 4,028 ms; a standby that waited for a second lease term would not pass.
    assert.ok(took <= 2 * LEASE_MS - 500, `took over after ${took} ms`);
    const l = await leases().get('kube-controller-manager');
    assert.equal(l.spec?.leaseTransitions, 1);

    const after = await issue();
    assert.ok(after.status?.certificate);
    assert.equal(b.exitCode, null, 'the new leader keeps running');
    stop.abort();
    w.close();
    await counting;
    assert.ok(issuedTimes.size >= 2);
    for (const [n, times] of issuedTimes) assert.equal(times, 1, `${n} was issued ${times} times`);
  });

  it('a leader stopped gracefully hands the lease over at once', async () => {
    const cur = await holder();
    const c = startKcm('kcm-c');
    await new Promise((r) => setTimeout(r, 1000));
    const alive = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;
    const leader = procs.find((p) => alive(p) && p !== c)!;
    const t0 = Date.now();
    leader.kill('SIGTERM');
    const next = await waitFor(
      'handover',
      async () => {
        const h = await holder();
        return h && h !== cur ? h : undefined;
      },
      5000,
    ).catch((e) => {
      const logs = ['kcm-a', 'kcm-b', 'kcm-c'].map(
        (n) => `${n}:\n${readFileSync(join(cl.fx.dir, `${n}.log`), 'utf8').slice(-3000)}`,
      );
      throw new Error(`${e.message}\n${logs.join('\n')}`);
    });
    assert.ok(next);
    assert.ok(Date.now() - t0 < LEASE_MS, 'released, not waited out');
    await new Promise<void>((r) => (leader.exitCode !== null ? r() : leader.once('exit', () => r())));
    assert.equal(leader.exitCode, 0);
  });
});
