// The Event recorder against an apiserver that accepts connections and never answers: it keeps 4
// Events in flight and 1,000 queued, drops the rest without blocking its caller, and says so in the
// log at the 1st, 10th, 100th… drop (client-go logs each drop; a burst would be thousands of lines).
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { Event } from '@mkube/shared/api';
import { KubeClient } from '@mkube/shared/client';
import { createLogger } from '@mkube/shared/log';
import { CertificateAuthority } from '@mkube/shared/pki';
import { ApiEventRecorder } from '../src/events/index.ts';

describe('ApiEventRecorder', () => {
  it('drops what does not fit its queue, and logs the 1st, 10th and 100th drop', async () => {
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      sockets.push(s);
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const { certPem } = await CertificateAuthority.createSelfSigned({ commonName: 'events-test-ca' });
    const client = new KubeClient({
      server: `https://127.0.0.1:${port}`,
      caPem: certPem,
      token: 'abcdef.0123456789abcdef',
    });
    const lines: string[] = [];
    const log = createLogger({ name: 'kcm', destination: { write: (s: string) => lines.push(s) } as never });
    const r = new ApiEventRecorder(client, 'test-controller', 'host-a', log);
    const csr = {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'csr-x', uid: 'u-1' },
    };
    try {
      const t0 = performance.now();
      for (let i = 0; i < 4 + 1000 + 150; i++) r.event(csr, 'Normal', 'AutoApproved', `approval ${i}`);
      assert.ok(performance.now() - t0 < 1000, 'recording never waits for the apiserver');
      assert.equal(r.dropped, 150);
      const warnings = lines.map((l) => JSON.parse(l)).filter((l) => /dropped event/.test(l.msg));
      assert.deepEqual(
        warnings.map((w) => w.dropped),
        [1, 10, 100],
      );
      assert.equal(warnings[0].object, 'CertificateSigningRequest/csr-x');
      assert.equal(warnings[0].reason, 'AutoApproved');
      await new Promise((res) => setTimeout(res, 200));
      assert.ok(sockets.length >= 1, 'the recorder did try to reach the apiserver');
    } finally {
      await client.close();
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});

describe('ApiEventRecorder with an event rate limit (the kubelet’s eventRecordQPS and eventBurst)', () => {
  it('sends a burst at once and the rest at the QPS, every Event stored', async () => {
    const { readFileSync } = await import('node:fs');
    const { startFixture } = await import('../../apiserver/test/server/fixture.ts');
    const fx = await startFixture();
    const client = new KubeClient({
      server: fx.url,
      caPem: readFileSync(fx.pki.caCrt, 'utf8'),
      clientCertPem: readFileSync(fx.pki.adminCrt, 'utf8'),
      clientKeyPem: readFileSync(fx.pki.adminKey, 'utf8'),
    });
    const log = createLogger({ name: 'kubelet', destination: { write: () => true } as never });
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'qps-node', uid: 'qps-node' } };
    try {
      const timed = async (r: ApiEventRecorder, n: number) => {
        const t0 = performance.now();
        for (let i = 0; i < n; i++) r.event(node, 'Normal', 'Tick', `tick ${i}`);
        await r.flush();
        return performance.now() - t0;
      };
      // Burst 2, then 5 a second: 7 Events need a second at least.
      const limited = await timed(new ApiEventRecorder(client, 'kubelet', 'qps-node', log, { qps: 5, burst: 2 }), 7);
      assert.ok(limited >= 900, `7 Events at 5/s after a burst of 2 took ${limited.toFixed(0)} ms`);
      // The control: the same without a limit is not held back.
      const free = await timed(new ApiEventRecorder(client, 'kubelet', 'qps-node', log), 7);
      assert.ok(free < limited - 500, `unlimited: ${free.toFixed(0)} ms`);
      const list = await client
        .resource<Event>({ group: '', version: 'v1', resource: 'events', namespace: 'default' })
        .list();
      assert.equal(list.items.filter((e) => e.reason === 'Tick').length, 14);
    } finally {
      await client.close();
      await fx.close();
    }
  });
});
