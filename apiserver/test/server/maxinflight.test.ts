// --enable-priority-and-fairness=false with --max-requests-inflight / --max-mutating-requests-inflight,
// as WithMaxInFlightLimit: past the limit a request is 429 "Too many requests, please try again
// later." with Retry-After: 1, at once; long-running requests are not counted; system:masters always
// gets an answer; mkube's client waits the Retry-After and sends again, as client-go does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ClientHttp2Session } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@mkube/shared/client';
import { parseFlags } from '@mkube/shared/flags';
import { APISERVER_FLAGS, loadApiServerConfig } from '../../src/main.ts';
import { type Fixture, issueClient, serverArgs, startFixture } from './fixture.ts';
import { type H2Answer, h2Request, openH2 } from './h2requests.ts';

const cm = (name: string) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { k: 'v' } });

describe('max-in-flight limits (--enable-priority-and-fairness=false)', { timeout: 60_000 }, () => {
  let fx: Fixture;
  let alice: ClientHttp2Session;
  let masters: ClientHttp2Session;
  let aliceCreds: { crt: string; key: string };

  const open = (creds: { crt: string; key: string }) => openH2(fx.url, fx.pki.caCrt, creds);
  const send = h2Request;
  const retryAfter = (a: H2Answer) => ({ status: a.status, retryAfter: a.headers['retry-after'], body: a.body });

  before(async () => {
    fx = await startFixture([
      '--enable-priority-and-fairness=false',
      '--max-requests-inflight=2',
      '--max-mutating-requests-inflight=1',
    ]);
    aliceCreds = await issueClient(fx, 'alice');
    const breakglass = await issueClient(fx, 'breakglass', ['system:masters']);
    alice = open(aliceCreds);
    masters = open(breakglass);
  });
  after(async () => {
    alice?.destroy();
    masters?.destroy();
    await fx?.close();
  });

  it('a mutating request past the limit is 429 with Retry-After: 1; a held one still completes', async () => {
    const held = send(alice, 'POST', '/api/v1/namespaces/default/configmaps');
    held.stream.write(cm('held').slice(0, 10)); // in flight: its body is not finished
    await new Promise((r) => setTimeout(r, 200));
    const second = retryAfter(await send(alice, 'POST', '/api/v1/namespaces/default/configmaps', cm('second')).answer);
    assert.deepEqual(second, {
      status: 429,
      retryAfter: '1',
      body: 'Too many requests, please try again later.\n',
    });
    // Reads have their own limit; watches are long-running and not counted at all.
    const watches = [1, 2, 3].map(() => send(alice, 'GET', '/api/v1/namespaces?watch=1'));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await send(alice, 'GET', '/api/v1/namespaces/default').answer).status, 200);
    // system:masters always gets an answer.
    const m = send(masters, 'POST', '/api/v1/namespaces/default/configmaps', cm('by-masters'));
    assert.equal((await m.answer).status, 201);
    const metrics = await send(masters, 'GET', '/metrics').answer;
    assert.match(metrics.body, /apiserver_current_inflight_requests\{request_kind="mutating"\} 1/);

    held.stream.end(cm('held').slice(10));
    assert.equal((await held.answer).status, 201);
    const third = send(alice, 'POST', '/api/v1/namespaces/default/configmaps');
    third.stream.end(cm('third'));
    assert.equal((await third.answer).status, 201, 'the slot is free again');
    for (const w of watches) w.stream.close();
  });

  it('mkube’s client waits out Retry-After and sends again', async () => {
    const held = send(alice, 'POST', '/api/v1/namespaces/default/configmaps');
    held.stream.write(cm('held-2').slice(0, 10));
    await new Promise((r) => setTimeout(r, 200));
    const client = createClient({
      server: fx.url,
      caPem: readFileSync(fx.pki.caCrt, 'utf8'),
      clientCertPem: readFileSync(aliceCreds.crt, 'utf8'),
      clientKeyPem: readFileSync(aliceCreds.key, 'utf8'),
    });
    try {
      const t0 = Date.now();
      const created = client.request<{ metadata: { name: string } }>('POST', '/api/v1/namespaces/default/configmaps', {
        body: JSON.parse(cm('patient')),
      });
      setTimeout(() => held.stream.end(cm('held-2').slice(10)), 300);
      assert.equal((await created).metadata.name, 'patient');
      assert.ok(Date.now() - t0 >= 900, 'it waited the Retry-After second');
      assert.equal((await held.answer).status, 201);
    } finally {
      await client.close();
    }
  });

  it('refuses negative limits; API Priority and Fairness is on by default with 400 + 200 seats', () => {
    const load = (extra: string[]) => {
      const f = parseFlags(APISERVER_FLAGS, serverArgs(fx.pki, '/nonexistent', extra));
      return loadApiServerConfig(f.flags, f.given);
    };
    assert.throws(() => load(['--max-requests-inflight=-1']), /--max-requests-inflight: can not be negative value/);
    // The dispatcher reads its configuration through the API, so that must be served.
    assert.throws(
      () => load(['--runtime-config=flowcontrol.apiserver.k8s.io/v1=false']),
      /enabling APIPriorityAndFairness requires --runtime-config=flowcontrol.apiserver.k8s.io\/v1=true to be enabled/,
    );
    const off = load([
      '--runtime-config=flowcontrol.apiserver.k8s.io/v1=false',
      '--enable-priority-and-fairness=false',
    ]);
    assert.equal(off.apiCatalog.find('flowcontrol.apiserver.k8s.io', 'v1', 'flowschemas'), undefined);
    const d = load([]);
    assert.deepEqual(
      [d.enablePriorityAndFairness, d.maxRequestsInflight, d.maxMutatingRequestsInflight],
      [true, 400, 200],
    );
  });
});
