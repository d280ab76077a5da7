// --audit-webhook-config-file end to end: a real HTTPS audit sink receives audit.k8s.io/v1 EventLists
// in batches (size and wait), next to the log backend; a sink that is down loses its batches without
// holding up requests; what is buffered at shutdown is sent.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startWebhookServer, type WebhookServer } from '../auth/webhook-fixture.ts';
import { configError, type Fixture, kubectl, loadConfig, makePki, startFixture, tempDir } from './fixture.ts';

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  nonResourceURLs: ['/healthz*', '/readyz*', '/livez*']
- level: Metadata
`;

// biome-ignore lint/suspicious/noExplicitAny: audit events as the sink received them
type Ev = any;
const eventsOf = (wh: WebhookServer): Ev[] => wh.requests.flatMap((r) => (r.body?.items ?? []) as Ev[]);

async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('audit webhook backend', () => {
  let dir = '';
  let wh: WebhookServer;
  let fx: Fixture;
  before(async () => {
    dir = tempDir('audit-webhook');
    wh = await startWebhookServer(join(dir, 'sink'), () => ({ raw: '' }));
    const kc = wh.kubeconfig(join(dir, 'sink.conf'), { path: '/audit' });
    writeFileSync(join(dir, 'policy.yaml'), POLICY);
    fx = await startFixture([
      `--audit-policy-file=${join(dir, 'policy.yaml')}`,
      `--audit-log-path=${join(dir, 'audit.log')}`,
      `--audit-webhook-config-file=${kc}`,
      '--audit-webhook-batch-max-size=5',
      '--audit-webhook-batch-max-wait=500ms',
      '--audit-webhook-initial-backoff=20ms',
    ]);
  });
  after(async () => {
    await fx?.close();
    await wh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts EventLists of the same events the log has, in batches of at most max-size', async () => {
    const r = await kubectl(fx, ['get', 'configmaps', '-n', 'default']);
    assert.equal(r.status, 0, r.err);
    const list = await until('the list in the sink', () =>
      eventsOf(wh).find(
        (e) => e.verb === 'list' && e.objectRef?.resource === 'configmaps' && e.stage === 'ResponseComplete',
      ),
    );
    assert.equal(list.kind, 'Event');
    assert.equal(list.apiVersion, 'audit.k8s.io/v1');
    assert.equal(list.level, 'Metadata');
    assert.equal(list.user.username, 'kubernetes-admin');
    assert.equal(list.responseStatus.code, 200);
    const req = wh.requests.find((x) => x.body?.items?.includes(list))!;
    assert.equal(req.path, '/audit');
    assert.equal(req.body.kind, 'EventList');
    assert.equal(req.body.apiVersion, 'audit.k8s.io/v1');
    assert.equal(req.clientCN, 'webhook-client', 'the kubeconfig’s client certificate');
    assert.ok(
      wh.requests.every((x) => x.body.items.length <= 5),
      'max-size',
    );
    const logged = readFileSync(join(dir, 'audit.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.ok(
      logged.some((e) => e.auditID === list.auditID && e.stage === 'ResponseComplete'),
      'the same event in the log',
    );
    assert.ok(!eventsOf(wh).some((e) => e.stage === 'RequestReceived'), 'omitStages applies');
  });

  it('a sink that is down loses its batches, never the requests; later events arrive again', async () => {
    const before = wh.requests.length;
    wh.respond = () => ({ status: 503, json: { kind: 'Status' } });
    const r = await kubectl(fx, ['get', 'secrets', '-n', 'default']);
    assert.equal(r.status, 0, r.err);
    await new Promise((res) => setTimeout(res, 1000));
    assert.ok(wh.requests.length > before, 'it tried');
    // Once its retries are spent the batch is dropped, and counted as the webhook plugin's errors.
    const errors = async () => {
      const r = await kubectl(fx, ['get', '--raw', '/metrics']);
      return Number(/^apiserver_audit_error_total\{plugin="webhook"\} (\d+)$/m.exec(r.out)?.[1] ?? '0');
    };
    let dropped = 0;
    for (let i = 0; i < 50 && dropped === 0; i++) {
      dropped = await errors();
      if (dropped === 0) await new Promise((res) => setTimeout(res, 200));
    }
    assert.ok(dropped >= 1, 'the dropped events are counted');
    wh.respond = () => ({ raw: '' });
    assert.equal((await kubectl(fx, ['get', 'serviceaccounts', '-n', 'default'])).status, 0);
    await until('the later event', () =>
      eventsOf(wh).find((e) => e.objectRef?.resource === 'serviceaccounts' && e.stage === 'ResponseComplete'),
    );
  });
});

describe('audit webhook at shutdown and in config', () => {
  it('sends what is buffered when the apiserver stops', async () => {
    const dir = tempDir('audit-webhook-stop');
    const wh = await startWebhookServer(join(dir, 'sink'), () => ({ raw: '' }));
    try {
      writeFileSync(join(dir, 'policy.yaml'), POLICY);
      const fx = await startFixture([
        `--audit-policy-file=${join(dir, 'policy.yaml')}`,
        `--audit-webhook-config-file=${wh.kubeconfig(join(dir, 'sink.conf'))}`,
        '--audit-webhook-batch-max-wait=1h',
      ]);
      assert.equal((await kubectl(fx, ['get', 'ns'])).status, 0);
      assert.equal(eventsOf(wh).length, 0, 'nothing sent yet: the batch waits');
      await fx.close();
      assert.ok(
        eventsOf(wh).some((e) => e.verb === 'list' && e.objectRef?.resource === 'namespaces'),
        'flushed on shutdown',
      );
    } finally {
      await wh.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad kubeconfig, a non-batch mode and a zero batch size at start-up', () => {
    const dir = tempDir('audit-webhook-config');
    try {
      const pki = makePki(dir);
      writeFileSync(join(dir, 'policy.yaml'), POLICY);
      writeFileSync(join(dir, 'bad.conf'), 'apiVersion: v1\nkind: Config\nclusters: 7\n');
      const msg = configError(() =>
        loadConfig(pki, join(dir, 'data'), [
          `--audit-policy-file=${join(dir, 'policy.yaml')}`,
          `--audit-webhook-config-file=${join(dir, 'bad.conf')}`,
          '--audit-webhook-mode=blocking',
          '--audit-webhook-batch-max-size=0',
        ]),
      );
      assert.match(msg, /--audit-webhook-config-file/);
      assert.match(msg, /--audit-webhook-mode.*batch mode only/);
      assert.match(msg, /--audit-webhook-batch-max-size.*0 must be greater than 0/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
