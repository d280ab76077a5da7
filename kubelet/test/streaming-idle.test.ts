// --streaming-connection-idle-timeout on 10250: an exec stream with no frame either way for that long is
// closed (and what it ran with it), one in use is not; 0 means never. --read-only-port other than 0 is a
// start-up error, as the config file's readOnlyPort is.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { aggregateMessages as aggregate } from '@mkube/shared/apierrors';
import WebSocket from 'ws';
import { issueClient } from '../../apiserver/test/server/fixture.ts';
import { kernelTunableProblems } from '../src/cm/kerneltunables.ts';
import { curlKubelet, type NodeCluster, run, runningPod, startNodeCluster, type TestKubelet } from './fixture.ts';

const NODE = 'node-idle';

describe('streaming connection idle timeout', { timeout: 60_000 }, () => {
  let c: NodeCluster;
  let k: TestKubelet;
  let admin: { crt: string; key: string };
  before(async () => {
    c = await startNodeCluster();
    k = await c.startKubelet(NODE, { extra: ['--streaming-connection-idle-timeout=1s'] });
    await k.kubelet.ready;
    admin = await issueClient(c.fx, 'kube-apiserver-kubelet-client', ['kubeadm:cluster-admins']);
    await runningPod(c, 'idle', NODE, { containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }] });
  });
  after(async () => c?.close());

  /** An exec of `sleep <marker>` with stdin; resolves with how long the stream stayed open. */
  const session = (marker: string, keepTypingMs: number) =>
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(
        `wss://127.0.0.1:${k.kubelet.port}/exec/default/idle/app?command=sleep&command=${marker}&input=1&output=1`,
        ['v5.channel.k8s.io'],
        { ca: readFileSync(c.fx.pki.caCrt), cert: readFileSync(admin.crt), key: readFileSync(admin.key) },
      );
      const began = Date.now();
      let typing: NodeJS.Timeout | undefined;
      ws.on('open', () => {
        typing = setInterval(() => {
          if (Date.now() - began < keepTypingMs) ws.send(Buffer.from([0, 0x0a]));
        }, 300);
      });
      ws.on('close', () => {
        clearInterval(typing);
        resolve(Date.now() - began);
      });
      ws.on('error', reject);
    });

  it('closes a stream idle for the timeout, and ends what it ran', async () => {
    const open = await session('41.5', 0);
    assert.ok(open >= 900 && open < 4000, `closed after ${open} ms`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await run('pgrep', ['-f', 'sleep 41.5'])).code, 1, 'the exec’d command is gone');
  });

  it('keeps a stream in use open past it', async () => {
    const open = await session('42.5', 1800);
    assert.ok(open >= 1800, `closed after ${open} ms while in use`);
  });

  it('--protect-kernel-defaults: no start while a kernel tunable differs from the kubelet’s', async () => {
    const wrong = kernelTunableProblems();
    const started = c.startKubelet('node-kernel', { extra: ['--protect-kernel-defaults=true'] });
    if (wrong.length === 0) {
      // This host has the kubelet's values: the option lets it start.
      await (await started).kubelet.ready;
      return;
    }
    await assert.rejects(started, (e: Error) => {
      assert.equal(e.name, 'KernelTunablesError');
      assert.equal(e.message, aggregate(wrong));
      return true;
    });
  });

  it('reports it in /configz, and refuses a read-only port', async () => {
    const configz = await curlKubelet(k, '/configz', { caCrt: c.fx.pki.caCrt, cert: admin.crt, key: admin.key });
    assert.equal(JSON.parse(configz.body).kubeletconfig.streamingConnectionIdleTimeout, '1s');
    await assert.rejects(
      c.startKubelet('node-ro', { extra: ['--read-only-port=10255'] }),
      /read-only-port.*10255 is not supported: mkube's kubelet serves no read-only port/s,
    );
  });
});
