// LimitRanger admission through a real apiserver: a new pod's containers get the namespace's
// default requests and limits (and the annotation saying so, word for word as upstream), and a pod
// outside a LimitRange's min, max or ratio is refused with upstream's messages. Updates are not
// checked, and a namespace without LimitRanges is left alone.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { adminCreate, adminRequest, type Fixture, kubectl, startFixture } from '../server/fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: Status bodies and objects are read field by field
type Json = any;

const NS = 'limited';
const PODS = `/api/v1/namespaces/${NS}/pods`;
const LIMITS = `/api/v1/namespaces/${NS}/limitranges`;

const container = (name: string, resources?: Json) => ({ name, image: 'busybox', ...(resources ? { resources } : {}) });
const pod = (name: string, containers: Json[], extra: Json = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers, ...extra },
});

describe('LimitRanger admission', () => {
  let fx: Fixture;

  const send = (method: string, path: string, body?: unknown) => adminRequest(fx, method, path, body);
  const created = (path: string, body: unknown) => adminCreate(fx, path, body);
  const forbidden = async (body: unknown, message: string) => {
    const r = await send('POST', PODS, body);
    assert.equal(r.code, 403, JSON.stringify(r.json));
    assert.equal(r.json.reason, 'Forbidden');
    assert.equal(r.json.message, message);
  };

  before(async () => {
    fx = await startFixture();
    await created('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    // No LimitRange yet: nothing is set.
    const free = await created(PODS, pod('free', [container('c')]));
    assert.equal(free.metadata.annotations?.['kubernetes.io/limit-ranger'], undefined);
    assert.equal(free.spec.containers[0].resources?.limits, undefined);
    await created(LIMITS, {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'limits' },
      spec: {
        limits: [
          {
            type: 'Container',
            max: { cpu: '500m', memory: '1Gi' },
            min: { cpu: '10m' },
            default: { cpu: '200m', memory: '256Mi' },
            defaultRequest: { cpu: '100m', memory: '128Mi' },
            maxLimitRequestRatio: { cpu: '4' },
          },
          { type: 'Pod', max: { memory: '1Gi' } },
        ],
      },
    });
  });
  after(async () => {
    await fx?.close();
  });

  it('fills in the requests and limits containers leave out, and says so in the annotation', async () => {
    const p = await created(
      PODS,
      pod('defaulted', [container('app'), container('side', { requests: { cpu: '50m' } })], {
        initContainers: [container('init', { limits: { memory: '64Mi' } })],
      }),
    );
    assert.deepEqual(p.spec.containers[0].resources, {
      limits: { cpu: '200m', memory: '256Mi' },
      requests: { cpu: '100m', memory: '128Mi' },
    });
    assert.deepEqual(p.spec.containers[1].resources, {
      limits: { cpu: '200m', memory: '256Mi' },
      requests: { cpu: '50m', memory: '128Mi' },
    });
    // The init container's memory request came from its own limit (pod defaulting), before LimitRanger.
    assert.deepEqual(p.spec.initContainers[0].resources, {
      limits: { cpu: '200m', memory: '64Mi' },
      requests: { cpu: '100m', memory: '64Mi' },
    });
    assert.equal(
      p.metadata.annotations['kubernetes.io/limit-ranger'],
      'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app; memory request for container side; cpu, memory limit for container side; cpu request for init container init; cpu limit for init container init',
    );
  });

  it('refuses a container above max, below min or past the ratio, with upstream’s messages', async () => {
    await forbidden(
      pod('too-big', [container('c', { limits: { cpu: '1' } })]),
      'pods "too-big" is forbidden: maximum cpu usage per Container is 500m, but limit is 1',
    );
    await forbidden(
      pod('too-small', [container('c', { requests: { cpu: '5m' }, limits: { cpu: '20m' } })]),
      'pods "too-small" is forbidden: minimum cpu usage per Container is 10m, but request is 5m',
    );
    await forbidden(
      pod('too-spread', [container('c', { requests: { cpu: '100m' }, limits: { cpu: '500m' } })]),
      'pods "too-spread" is forbidden: cpu max limit to request ratio per Container is 4, but provided ratio is 5.000000',
    );
    // Several violations are aggregated, in upstream's order (min, max, ratio; containers, then the pod).
    await forbidden(
      pod('both', [container('c', { requests: { cpu: '5m' }, limits: { cpu: '1', memory: '2Gi' } })]),
      'pods "both" is forbidden: [minimum cpu usage per Container is 10m, but request is 5m, maximum cpu usage per Container is 500m, but limit is 1, maximum memory usage per Container is 1Gi, but limit is 2Gi, cpu max limit to request ratio per Container is 4, but provided ratio is 200.000000, maximum memory usage per Pod is 1Gi, but limit is 2Gi]',
    );
  });

  it('sums the containers for a Pod item', async () => {
    await forbidden(
      pod('sum', [container('a', { limits: { memory: '768Mi' } }), container('b', { limits: { memory: '512Mi' } })]),
      'pods "sum" is forbidden: maximum memory usage per Pod is 1Gi, but limit is 1280Mi',
    );
  });

  it('names a generated pod by the name it was given; kubectl shows the refusal', async () => {
    const r = await send('POST', PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { generateName: 'gen-' },
      spec: { containers: [container('c', { limits: { cpu: '2' } })] },
    });
    assert.equal(r.code, 403, JSON.stringify(r.json));
    // Validating admission runs once the name is generated (AdmissionToValidateObjectFunc).
    assert.match(
      r.json.message,
      /^pods "gen-[a-z0-9]{5}" is forbidden: maximum cpu usage per Container is 500m, but limit is 2$/,
    );

    const file = join(fx.dir, 'big-pod.json');
    writeFileSync(file, JSON.stringify(pod('big', [container('c', { limits: { cpu: '2' } })])));
    const k = await kubectl(fx, ['-n', NS, 'create', '-f', file]);
    assert.notEqual(k.status, 0);
    assert.match(k.err, /pods "big" is forbidden: maximum cpu usage per Container is 500m, but limit is 2/);
  });

  it('does not look at updates', async () => {
    const p = await send('GET', `${PODS}/free`);
    const u = await send('PUT', `${PODS}/free`, {
      ...p.json,
      metadata: { ...p.json.metadata, labels: { touched: 'yes' } },
    });
    assert.equal(u.code, 200, JSON.stringify(u.json));
    assert.equal(u.json.metadata.annotations?.['kubernetes.io/limit-ranger'], undefined);
  });
});
