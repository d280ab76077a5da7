// EventRateLimit with a real apiserver: a Namespace limit of burst 3 lets three Events into a namespace
// and answers the fourth 429 `Too many requests: limit reached on type Namespace for key busy`, while
// another namespace and dry runs go through; the bucket refills at its qps. Turned on without its
// configuration, or with a wrong one, the apiserver does not start, and says why.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseEventRateLimitConfig } from '../../src/admission/plugins/eventratelimit/config.ts';
import { eventRateLimit } from '../../src/admission/plugins/eventratelimit/index.ts';
import type { AdmissionAttributes } from '../../src/admission/types.ts';
import { configError, curl, type Fixture, kubectl, loadConfig, makePki, startFixture, tempDir } from './fixture.ts';

const event = (ns: string, n: number) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `e${n}`, namespace: ns },
    involvedObject: { kind: 'Pod', name: 'p', namespace: ns },
    reason: 'Test',
    message: `event ${n}`,
    source: { component: 'test' },
  });

describe('EventRateLimit', { timeout: 60_000 }, () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture((pki) => {
      const file = join(pki.dir, 'admission.yaml');
      writeFileSync(
        file,
        [
          'apiVersion: apiserver.config.k8s.io/v1',
          'kind: AdmissionConfiguration',
          'plugins:',
          '- name: EventRateLimit',
          '  configuration:',
          '    apiVersion: eventratelimit.admission.k8s.io/v1alpha1',
          '    kind: Configuration',
          '    limits:',
          '    - type: Namespace',
          '      qps: 1',
          '      burst: 3',
          '',
        ].join('\n'),
      );
      return ['--enable-admission-plugins=EventRateLimit', `--admission-control-config-file=${file}`];
    });
    for (const ns of ['busy', 'quiet']) assert.equal((await kubectl(fx, ['create', 'namespace', ns])).status, 0);
  });
  after(async () => fx?.close());

  const post = (ns: string, n: number, query = '') =>
    curl(fx, `/api/v1/namespaces/${ns}/events${query}`, [
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '-d',
      event(ns, n),
    ]);

  it('turns away the namespace’s Events past its burst, not another namespace’s nor a dry run', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await post('busy', i)).code, 201);
    const refused = await post('busy', 3);
    assert.equal(refused.code, 429);
    assert.deepEqual(JSON.parse(refused.body), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Too many requests: limit reached on type Namespace for key busy',
      reason: 'TooManyRequests',
      code: 429,
    });
    assert.equal((await post('quiet', 0)).code, 201);
    assert.equal((await post('busy', 4, '?dryRun=All')).code, 201);
    // One token a second comes back.
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await post('busy', 5)).code, 201);
  });

  it('refuses to start without its configuration, or with a wrong one', () => {
    const dir = tempDir('erl');
    const pki = makePki(dir);
    const without = configError(() =>
      loadConfig(pki, join(dir, 'data'), ['--enable-admission-plugins=EventRateLimit']),
    );
    assert.match(
      without,
      /couldn't init admission plugin "EventRateLimit": limits: Invalid value: .*must not be empty/,
    );
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  configuration:\n    apiVersion: eventratelimit.admission.k8s.io/v1alpha1\n    kind: Configuration\n    limits:\n    - {type: Pod, qps: 0, burst: 2}\n',
    );
    const bad = configError(() =>
      loadConfig(pki, join(dir, 'data'), [
        '--enable-admission-plugins=EventRateLimit',
        `--admission-control-config-file=${file}`,
      ]),
    );
    assert.match(
      bad,
      /plugins\[0\] \(EventRateLimit\): \[limits\[0\]\.type: Unsupported value: "Pod": supported values: "Server", "Namespace", "User", "SourceAndObject", limits\[0\]\.qps: Invalid value: 0: must be positive\]/,
    );
  });
});

describe('EventRateLimit’s keys', () => {
  const attrs = (user: string, ns: string, component: string): AdmissionAttributes =>
    ({
      operation: 'CREATE',
      user: { username: user, groups: [] },
      group: '',
      version: 'v1',
      resource: 'events',
      subresource: '',
      kind: 'Event',
      namespace: ns,
      name: 'e',
      object: { metadata: {}, source: { component }, involvedObject: { kind: 'Pod', name: 'p', namespace: ns } },
      oldObject: undefined,
      dryRun: false,
    }) as AdmissionAttributes;

  it('counts per user and per source and object, each limit on its own, the least recent keys dropped', async () => {
    let t = 0;
    const plugin = eventRateLimit(
      parseEventRateLimitConfig({
        apiVersion: 'eventratelimit.admission.k8s.io/v1alpha1',
        kind: 'Configuration',
        limits: [
          { type: 'User', qps: 1, burst: 1, cacheSize: 2 },
          { type: 'SourceAndObject', qps: 1, burst: 2 },
        ],
      }),
      () => t,
    );
    await plugin.validate!(attrs('alice', 'a', 'kubelet'));
    await assert.rejects(plugin.validate!(attrs('alice', 'a', 'kubelet')), /limit reached on type User for key alice$/);
    // alice's refused request still took the source's token: both limits are asked.
    await assert.rejects(
      plugin.validate!(attrs('bob', 'a', 'kubelet')),
      /Too many requests: limit reached on type SourceAndObject for key kubeletPodap$/,
    );
    // With room for two users' buckets, a third pushes out the least recently used (alice): hers is new and full.
    await plugin.validate!(attrs('carol', 'c', 'x'));
    await plugin.validate!(attrs('dave', 'd', 'y'));
    await plugin.validate!(attrs('alice', 'e', 'z'));
    t += 1000;
    await plugin.validate!(attrs('dave', 'f', 'w'));
  });
});
