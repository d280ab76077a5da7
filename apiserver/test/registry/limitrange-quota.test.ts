// core/v1 LimitRange and ResourceQuota through a real apiserver: the defaults a Container item gets,
// upstream's exact refusals (ValidateLimitRange, ValidateResourceQuota), the quota's status kept
// apart from its spec, and kubectl's columns and `create quota` with the oldest and newest kubectl.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminCreate, adminRequest, type Fixture, kubectl, kubectlBinary, startFixture } from '../server/fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: Status bodies and objects are read field by field
type Json = any;

const NS = '/api/v1/namespaces/default';
const LIMITS = `${NS}/limitranges`;
const QUOTAS = `${NS}/resourcequotas`;

const limitRange = (name: string, limits: Json[]) => ({
  apiVersion: 'v1',
  kind: 'LimitRange',
  metadata: { name },
  spec: { limits },
});
const quota = (name: string, spec: Json) => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name }, spec });

/** %#v of a resource.Quantity parsed from a plain decimal string. */
const goQ = (value: number, scale: number, cached: string) =>
  `resource.Quantity{i:resource.int64Amount{value:${value}, scale:${scale}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:${JSON.stringify(cached)}, Format:"DecimalSI"}`;

describe('LimitRanges and ResourceQuotas', () => {
  let fx: Fixture;

  const send = (method: string, path: string, body?: unknown, contentType?: string) =>
    adminRequest(fx, method, path, body, contentType ? { contentType } : {});
  const created = (path: string, body: unknown) => adminCreate(fx, path, body);
  const invalid = async (path: string, body: unknown, message: string, method = 'POST') => {
    const r = await send(method, path, body);
    assert.equal(r.code, 422, JSON.stringify(r.json));
    assert.equal(r.json.reason, 'Invalid');
    assert.equal(r.json.message, message);
  };

  before(async () => {
    fx = await startFixture();
  });
  after(async () => {
    await fx?.close();
  });

  describe('LimitRange', () => {
    it('a Container item defaults its limit to max and its request to the default, in canonical form', async () => {
      const lr = await created(
        LIMITS,
        limitRange('defaults', [
          { type: 'Container', max: { cpu: '2000m', memory: '1Gi' }, min: { memory: '1024Mi' } },
          { type: 'Pod', max: { cpu: '4' } },
        ]),
      );
      assert.deepEqual(lr.spec.limits[0], {
        type: 'Container',
        max: { cpu: '2', memory: '1Gi' },
        min: { memory: '1Gi' },
        default: { cpu: '2', memory: '1Gi' },
        defaultRequest: { cpu: '2', memory: '1Gi' },
      });
      // A Pod item gets no defaults.
      assert.deepEqual(lr.spec.limits[1], { type: 'Pod', max: { cpu: '4' } });
      assert.equal((await send('DELETE', `${LIMITS}/defaults`)).code, 200);
    });

    it('refuses what ValidateLimitRange refuses, with its messages', async () => {
      await invalid(
        LIMITS,
        limitRange('bad', [{ type: 'Pod', min: { cpu: '2' }, max: { cpu: '1' } }]),
        `LimitRange "bad" is invalid: spec.limits[0].min[cpu]: Invalid value: ${goQ(2, 0, '2')}: min value 2 is greater than max value 1`,
      );
      await invalid(
        LIMITS,
        limitRange('bad', [{ type: 'Pod', max: { cpu: '1' }, default: { cpu: '1' } }]),
        'LimitRange "bad" is invalid: spec.limits[0].default: Forbidden: may not be specified when `type` is \'Pod\'',
      );
      await invalid(
        LIMITS,
        limitRange('bad', [{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '1' } }]),
        `LimitRange "bad" is invalid: spec.limits[0].defaultRequest[cpu]: Invalid value: ${goQ(1, 0, '1')}: default request value 1 is greater than default limit value 500m`,
      );
      await invalid(
        LIMITS,
        limitRange('bad', [{ type: 'Container', maxLimitRequestRatio: { cpu: '500m' } }]),
        `LimitRange "bad" is invalid: spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: ${goQ(500, -3, '500m')}: ratio 500m is less than 1`,
      );
      await invalid(
        LIMITS,
        limitRange('bad', [{ type: 'Widget', max: { cpu: '1' } }]),
        'LimitRange "bad" is invalid: spec.limits[0].type: Invalid value: "Widget": must be a standard limit type or fully qualified',
      );
      await invalid(
        LIMITS,
        limitRange('bad', [
          { type: 'Pod', max: { cpu: '1' } },
          { type: 'Pod', max: { cpu: '2' } },
        ]),
        'LimitRange "bad" is invalid: spec.limits[1].type: Duplicate value: "Pod"',
      );
      await invalid(
        LIMITS,
        limitRange('bad', [{ type: 'Container', max: { pods: '1' } }]),
        'LimitRange "bad" is invalid: [spec.limits[0].max[pods]: Invalid value: "pods": must be a standard resource for containers, spec.limits[0].default[pods]: Invalid value: "pods": must be a standard resource for containers, spec.limits[0].defaultRequest[pods]: Invalid value: "pods": must be a standard resource for containers]',
      );
      await invalid(
        LIMITS,
        limitRange('bad', [{ type: 'PersistentVolumeClaim', max: { cpu: '1' } }]),
        'LimitRange "bad" is invalid: spec.limits[0].limits: Required value: either minimum or maximum storage value is required, but neither was provided',
      );
    });

    it('a quantity that is no quantity fails decoding', async () => {
      const r = await send('POST', LIMITS, limitRange('bad', [{ type: 'Pod', max: { cpu: 'lots' } }]));
      assert.equal(r.code, 400, JSON.stringify(r.json));
      assert.equal(
        r.json.message,
        `LimitRange in version "v1" cannot be handled as a LimitRange: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      );
    });
  });

  describe('ResourceQuota', () => {
    it('starts with an empty status; /status writes it and the main resource keeps it', async () => {
      const q = await created(QUOTAS, {
        ...quota('compute', { hard: { pods: '2', 'requests.cpu': '1000m', 'limits.cpu': '2' } }),
        status: { used: { pods: '5' } },
      });
      assert.deepEqual(q.spec, { hard: { pods: '2', 'requests.cpu': '1', 'limits.cpu': '2' } });
      assert.deepEqual(q.status, {});

      const status = {
        hard: { pods: '2', 'requests.cpu': '1', 'limits.cpu': '2' },
        used: { pods: '1', 'requests.cpu': '500m', 'limits.cpu': '0' },
      };
      const s = await send('PUT', `${QUOTAS}/compute/status`, {
        ...q,
        spec: { hard: { pods: '100' } },
        status,
      });
      assert.equal(s.code, 200, JSON.stringify(s.json));
      assert.deepEqual(s.json.status, status);
      assert.deepEqual(s.json.spec.hard.pods, '2', 'the spec is not /status’s to change');

      const u = await send('PUT', `${QUOTAS}/compute`, {
        ...s.json,
        spec: { hard: { pods: '3', 'requests.cpu': '1', 'limits.cpu': '2' } },
        status: { used: { pods: '0' } },
      });
      assert.equal(u.code, 200, JSON.stringify(u.json));
      assert.equal(u.json.spec.hard.pods, '3');
      assert.deepEqual(u.json.status, status, 'the status is not the main resource’s to change');

      const bad = await send('PUT', `${QUOTAS}/compute/status`, { ...u.json, status: { used: { pods: '-1' } } });
      assert.equal(bad.code, 422, JSON.stringify(bad.json));
      assert.equal(
        bad.json.message,
        'ResourceQuota "compute" is invalid: status.used[pods]: Invalid value: "-1": must be greater than or equal to 0',
      );
    });

    it('refuses what ValidateResourceQuota refuses, with its messages', async () => {
      await invalid(
        QUOTAS,
        quota('bad', { hard: { pods: '-1' } }),
        'ResourceQuota "bad" is invalid: spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0',
      );
      await invalid(
        QUOTAS,
        quota('bad', { hard: { pods: '1500m' } }),
        `ResourceQuota "bad" is invalid: spec.hard[pods]: Invalid value: ${goQ(1500, -3, '')}: must be an integer`,
      );
      await invalid(
        QUOTAS,
        quota('bad', { hard: { widgets: '1' } }),
        'ResourceQuota "bad" is invalid: [spec.hard[widgets]: Invalid value: "widgets": must be a standard resource type or fully qualified, spec.hard[widgets]: Invalid value: "widgets": must be a standard resource for quota]',
      );
      await invalid(
        QUOTAS,
        quota('bad', { hard: { 'requests.cpu': '1' }, scopes: ['BestEffort'] }),
        'ResourceQuota "bad" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource',
      );
      await invalid(
        QUOTAS,
        quota('bad', { hard: { pods: '1' }, scopes: ['BestEffort', 'NotBestEffort'] }),
        'ResourceQuota "bad" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes',
      );
      await invalid(
        QUOTAS,
        quota('bad', { hard: { pods: '1' }, scopes: ['Sometimes'] }),
        'ResourceQuota "bad" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{"Sometimes"}: unsupported scope',
      );
      await invalid(
        QUOTAS,
        quota('bad', {
          hard: { pods: '1' },
          scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In' }] },
        }),
        "ResourceQuota \"bad\" is invalid: spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
      );
      await invalid(
        QUOTAS,
        quota('bad', {
          hard: { pods: '1' },
          scopeSelector: { matchExpressions: [{ scopeName: 'Terminating', operator: 'DoesNotExist' }] },
        }),
        `ResourceQuota "bad" is invalid: spec.scopeSelector.matchExpressions.operator: Invalid value: "DoesNotExist": must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity`,
      );
      // Extended resources and object counts are fully qualified: no standard-name check.
      await created(
        QUOTAS,
        quota('counts', { hard: { 'count/deployments.apps': '2', 'requests.example.com/gpu': '4' } }),
      );
    });

    it('scopes cannot change', async () => {
      const q = await created(QUOTAS, quota('scoped', { hard: { pods: '1' }, scopes: ['NotTerminating'] }));
      await invalid(
        `${QUOTAS}/scoped`,
        { ...q, spec: { hard: { pods: '1' }, scopes: ['Terminating'] } },
        'ResourceQuota "scoped" is invalid: spec.scopes: Invalid value: []core.ResourceQuotaScope{"Terminating"}: field is immutable',
        'PUT',
      );
    });
  });

  for (const minor of [27, 33]) {
    describe(`kubectl 1.${minor}`, () => {
      const bin = minor === 33 ? 'kubectl' : kubectlBinary(minor);

      it('get quota prints REQUEST and LIMIT from the status; get limits prints CREATED AT', async () => {
        const q = await kubectl(fx, ['get', 'quota', 'compute'], bin);
        assert.equal(q.status, 0, q.err);
        const [header, row] = q.out.trimEnd().split('\n');
        assert.deepEqual(header?.split(/\s{2,}/), ['NAME', 'AGE', 'REQUEST', 'LIMIT']);
        assert.match(row ?? '', /^compute\s+\S+\s+pods: 1\/2, requests\.cpu: 500m\/1\s+limits\.cpu: 0\/2$/);

        await send('POST', LIMITS, limitRange(`shown-${minor}`, [{ type: 'Pod', max: { cpu: '1' } }]));
        const l = await kubectl(fx, ['get', 'limits', `shown-${minor}`], bin);
        assert.equal(l.status, 0, l.err);
        const [lh, lr] = l.out.trimEnd().split('\n');
        assert.deepEqual(lh?.split(/\s{2,}/), ['NAME', 'CREATED AT']);
        assert.match(lr ?? '', new RegExp(`^shown-${minor}\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
      });

      it('create quota works (protobuf from 1.33)', async () => {
        const name = `made-${minor}`;
        const r = await kubectl(
          fx,
          ['create', 'quota', name, '--hard=pods=2,requests.cpu=1', '--scopes=NotTerminating'],
          bin,
        );
        assert.equal(r.status, 0, r.err);
        assert.equal(r.out.trim(), `resourcequota/${name} created`);
        const got = await send('GET', `${QUOTAS}/${name}`);
        assert.deepEqual(got.json.spec, { hard: { pods: '2', 'requests.cpu': '1' }, scopes: ['NotTerminating'] });

        const refused = await kubectl(fx, ['create', 'quota', `${name}-bad`, '--hard=pods=-1'], bin);
        assert.notEqual(refused.status, 0);
        assert.match(
          refused.err,
          new RegExp(
            `ResourceQuota "${name}-bad" is invalid: spec.hard\\[pods\\]: Invalid value: "-1": must be greater than or equal to 0`,
          ),
        );
      });
    });
  }
});
