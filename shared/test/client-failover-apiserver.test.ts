// Failover against real mkube apiservers: two apiserver processes (each with its own --data-dir,
// one PKI), a kubeconfig naming both in the mkube.io/apiservers cluster extension. The real
// kubectl reads that kubeconfig and talks to the apiserver; the mkube client built from it keeps
// working, and a ListWatcher keeps delivering events, after the first apiserver is SIGKILLed.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, type KubeClient, ListWatcher } from '@mkube/shared/client';
import {
  buildKubeconfig,
  clientOptionsFrom,
  loadKubeconfig,
  resolveCredentials,
  writeKubeconfig,
} from '@mkube/shared/kubeconfig';
import { makePki, type Pki, run, serverArgs, tempDir } from '../../apiserver/test/server/fixture.ts';
import { eventually } from './client.fixture.js';

const RUNNER = join(import.meta.dirname, '../../apiserver/test/server/run-apiserver.ts');

interface Proc {
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  output(): string;
}

/** An apiserver process on 127.0.0.1, a free port, its own data dir. */
async function spawnApiserver(pki: Pki, dataDir: string): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, ...serverArgs(pki, dataDir)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  let port: string | undefined;
  while (!port && Date.now() < deadline && child.exitCode === null) {
    port = /"port":(\d+)[^\n]*serving securely|serving securely[^\n]*"port":(\d+)/.exec(out)?.slice(1).find(Boolean);
    if (!port) await new Promise((r) => setTimeout(r, 50));
  }
  if (!port) {
    child.kill('SIGKILL');
    throw new Error(`apiserver did not start:\n${out}`);
  }
  return { url: `https://127.0.0.1:${port}`, child, exited, output: () => out };
}

interface ConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

const CMS = { group: '', version: 'v1', resource: 'configmaps' } as const;
const cm = (name: string): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });

describe('client failover between real apiservers', () => {
  let dir: string;
  let pki: Pki;
  let a: Proc;
  let b: Proc;
  const clients: KubeClient[] = [];

  before(async () => {
    dir = tempDir('failover');
    pki = makePki(dir);
    [a, b] = await Promise.all([spawnApiserver(pki, join(dir, 'data-a')), spawnApiserver(pki, join(dir, 'data-b'))]);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close({ graceMs: 100 })));
    for (const p of [a, b]) {
      if (p && p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGTERM');
        const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
        await p.exited;
        clearTimeout(t);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl reads the kubeconfig with the extension; the client fails over; the watch resumes through B', {
    timeout: 120_000,
  }, async () => {
    const file = join(dir, 'admin.conf');
    await writeKubeconfig(
      file,
      buildKubeconfig({
        clusterName: 'mkube',
        server: a.url,
        servers: [a.url, b.url],
        caPem: readFileSync(pki.caCrt, 'utf8'),
        userName: 'admin',
        clientCertificateFile: pki.adminCrt,
        clientKeyFile: pki.adminKey,
      }),
    );

    // The real kubectl: the extension is kept, and it talks to the preferred server.
    const env = { ...process.env, KUBECONFIG: '', HOME: dir };
    const view = await run('kubectl', ['--kubeconfig', file, 'config', 'view', '-o', 'json'], { env });
    assert.equal(view.status, 0, view.stderr);
    const shown = JSON.parse(view.stdout);
    assert.deepEqual(shown.clusters[0].cluster.extensions, [
      { name: 'mkube.io/apiservers', extension: { servers: [a.url, b.url] } },
    ]);
    const healthz = await run('kubectl', ['--kubeconfig', file, 'get', '--raw', '/healthz'], { env });
    assert.equal(healthz.status, 0, healthz.stderr);
    assert.equal(healthz.stdout.trim(), 'ok');

    // The mkube client from the same file.
    const creds = await resolveCredentials(await loadKubeconfig(file));
    assert.deepEqual(creds.servers, [a.url, b.url]);
    const c = createClient(clientOptionsFrom(creds));
    clients.push(c);
    assert.equal((await c.requestText('GET', '/healthz')).trim(), 'ok');

    // B's store is ahead of A's (separate stores here; one etcd in production): A's
    // resourceVersions are then valid, older revisions for B and the watch resumes instead of
    // waiting for a revision B never reaches.
    const onlyB = createClient({ ...clientOptionsFrom(creds), server: b.url, servers: [] });
    clients.push(onlyB);
    const bSys = onlyB.resource<ConfigMap>({ ...CMS, namespace: 'kube-system' });
    for (let i = 0; i < 40; i++) await bSys.create(cm(`filler-${i}`));

    const cms = c.resource<ConfigMap>({ ...CMS, namespace: 'default' });
    const lw = new ListWatcher<ConfigMap>({ source: cms, backoff: { initialMs: 50, maxMs: 500 } });
    const ac = new AbortController();
    const running = lw.run(ac.signal);
    try {
      assert.equal(await lw.waitForSync(AbortSignal.timeout(10_000)), true);
      await cms.create(cm('through-a'));
      await eventually(() => lw.store.get('default/through-a') !== undefined, 10_000);
      assert.equal(c.activeServer, a.url);

      a.child.kill('SIGKILL');
      await a.exited;
      // The broken watch is re-established through B.
      await eventually(() => c.activeServer === b.url, 20_000);
      const got = await c.request<{ items: unknown[] }>('GET', '/api/v1/namespaces/kube-system/configmaps');
      assert.ok(got.items.length >= 40);
      await cms.create(cm('through-b'));
      await eventually(() => lw.store.get('default/through-b') !== undefined, 20_000);
      await cms.create(cm('through-b-2'));
      await eventually(() => lw.store.get('default/through-b-2') !== undefined, 20_000);
      assert.equal((await cms.get('through-b')).metadata.name, 'through-b');
    } finally {
      ac.abort();
      await running;
    }
  });
});
