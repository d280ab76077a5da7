// The Event recorder against an apiserver that accepts connections and never answers: it keeps 4
// Events in flight and 1,000 queued, drops the rest without blocking its caller, and says so in the
// log at the 1st, 10th, 100th… drop (client-go logs each drop; a burst would be thousands of lines).
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
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
