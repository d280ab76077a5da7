// flowcontrol.apiserver.k8s.io/v1 through the real server and the real kubectl: discovery, the
// built-in FlowSchemas and PriorityLevelConfigurations the apiserver keeps, the `kubectl get` tables,
// v1 defaults, upstream's validation (the mandatory objects pinned) and the Dangling condition.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { curl, curlPost, eventually, type Fixture, kubectl, startFixture } from './fixture.ts';

const G = 'flowcontrol.apiserver.k8s.io';
const BUILT_IN_SCHEMAS = [
  'exempt',
  'probes',
  'system-leader-election',
  'endpoint-controller',
  'workload-leader-election',
  'system-node-high',
  'system-nodes',
  'kube-controller-manager',
  'kube-scheduler',
  'kube-system-service-accounts',
  'service-accounts',
  'global-default',
  'catch-all',
];

async function ok(fx: Fixture, args: string[]): Promise<string> {
  const r = await kubectl(fx, args);
  assert.equal(r.status, 0, `kubectl ${args.join(' ')}: ${r.err}`);
  return r.out;
}

const getJson = async (fx: Fixture, args: string[]) => JSON.parse(await ok(fx, [...args, '-o', 'json']));
const table = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/));

function apply(fx: Fixture, name: string, yaml: string[]) {
  const file = join(fx.dir, `${name}.yaml`);
  writeFileSync(file, `${yaml.join('\n')}\n`);
  return kubectl(fx, ['create', '-f', file]);
}

describe('flowcontrol.apiserver.k8s.io/v1 (API Priority and Fairness configuration)', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => fx?.close());

  it('discovery: both kinds cluster-scoped, no short names, full verbs, a status subresource', async () => {
    const rows = table(await ok(fx, ['api-resources', `--api-group=${G}`, '-o', 'wide']));
    assert.deepEqual(rows.slice(1), [
      ['flowschemas', `${G}/v1`, 'false', 'FlowSchema', 'create,delete,deletecollection,get,list,patch,update,watch'],
      [
        'prioritylevelconfigurations',
        `${G}/v1`,
        'false',
        'PriorityLevelConfiguration',
        'create,delete,deletecollection,get,list,patch,update,watch',
      ],
    ]);
    const list = JSON.parse(await ok(fx, ['get', '--raw', `/apis/${G}/v1`]));
    const status = list.resources.find((r: { name: string }) => r.name === 'flowschemas/status');
    assert.deepEqual([status?.kind, status?.verbs], ['FlowSchema', ['get', 'patch', 'update']]);
    assert.ok(list.resources.some((r: { name: string }) => r.name === 'prioritylevelconfigurations/status'));
  });

  it('the built-in objects are in the store, annotated, and no schema names a missing level', async () => {
    let rows: string[][] = [];
    await eventually('the built-in schemas, none dangling', async () => {
      rows = table((await kubectl(fx, ['get', 'flowschemas'])).out);
      return rows.length === BUILT_IN_SCHEMAS.length + 1 && rows.slice(1).every((r) => r[5] === 'False');
    });
    assert.deepEqual(rows[0], [
      'NAME',
      'PRIORITYLEVEL',
      'MATCHINGPRECEDENCE',
      'DISTINGUISHERMETHOD',
      'AGE',
      'MISSINGPL',
    ]);
    // In matching order, as kubectl shows upstream's.
    assert.deepEqual(
      rows.slice(1).map((r) => r[0]),
      BUILT_IN_SCHEMAS,
    );
    assert.deepEqual(rows[1]?.slice(0, 4), ['exempt', 'exempt', '1', '<none>']);
    assert.deepEqual(rows[8]?.slice(0, 4), ['kube-controller-manager', 'workload-high', '800', 'ByNamespace']);
    assert.deepEqual(rows[13]?.slice(0, 4), ['catch-all', 'catch-all', '10000', 'ByUser']);

    const levels = table(await ok(fx, ['get', 'prioritylevelconfigurations']));
    assert.deepEqual(levels[0], [
      'NAME',
      'TYPE',
      'NOMINALCONCURRENCYSHARES',
      'QUEUES',
      'HANDSIZE',
      'QUEUELENGTHLIMIT',
      'AGE',
    ]);
    const byName = new Map(levels.slice(1).map((r) => [r[0], r.slice(1, 6).join(' ')]));
    assert.deepEqual(Object.fromEntries(byName), {
      'catch-all': 'Limited 5 <none> <none> <none>',
      exempt: 'Exempt <none> <none> <none> <none>',
      'global-default': 'Limited 20 128 6 50',
      'leader-election': 'Limited 10 16 4 50',
      'node-high': 'Limited 40 64 6 50',
      system: 'Limited 30 64 6 50',
      'workload-high': 'Limited 40 128 6 50',
      'workload-low': 'Limited 100 128 6 50',
    });

    const catchAll = await getJson(fx, ['get', 'flowschema', 'catch-all']);
    assert.equal(catchAll.metadata.annotations['apf.kubernetes.io/autoupdate-spec'], 'true');
    assert.equal(catchAll.metadata.generation, 1);
    const [dangling] = catchAll.status.conditions;
    assert.deepEqual(
      [dangling.type, dangling.status, dangling.reason, dangling.message],
      [
        'Dangling',
        'False',
        'Found',
        'This FlowSchema references the PriorityLevelConfiguration object named "catch-all" and it exists',
      ],
    );
    const exempt = await getJson(fx, ['get', 'prioritylevelconfiguration', 'exempt']);
    assert.deepEqual(exempt.spec, { type: 'Exempt', exempt: { nominalConcurrencyShares: 0, lendablePercent: 0 } });
  });

  it('a new schema gets the defaults; it is Dangling until its level exists, which gets the defaults too', async () => {
    const created = await apply(fx, 'fs', [
      `apiVersion: ${G}/v1`,
      'kind: FlowSchema',
      'metadata: {name: batch}',
      'spec:',
      '  priorityLevelConfiguration: {name: batch-level}',
      '  distinguisherMethod: {type: ByUser}',
      '  rules:',
      '  - subjects: [{kind: ServiceAccount, serviceAccount: {namespace: batch, name: "*"}}]',
      '    resourceRules: [{verbs: [list, watch], apiGroups: [""], resources: [pods], namespaces: ["*"]}]',
    ]);
    assert.equal(created.status, 0, created.err);
    const fs = await getJson(fx, ['get', 'flowschema', 'batch']);
    assert.equal(fs.spec.matchingPrecedence, 1000);
    assert.equal(fs.metadata.generation, 1);
    await eventually('batch dangling', async () => {
      const row = table((await kubectl(fx, ['get', 'flowschema', 'batch'])).out)[1];
      return row?.[5] === 'True';
    });
    const c = (await getJson(fx, ['get', 'flowschema', 'batch'])).status.conditions[0];
    assert.deepEqual(
      [c.status, c.reason, c.message],
      [
        'True',
        'NotFound',
        'This FlowSchema references the PriorityLevelConfiguration object named "batch-level" but there is no such object',
      ],
    );

    const level = await apply(fx, 'pl', [
      `apiVersion: ${G}/v1`,
      'kind: PriorityLevelConfiguration',
      'metadata: {name: batch-level}',
      'spec: {type: Limited, limited: {limitResponse: {type: Queue, queuing: {}}}}',
    ]);
    assert.equal(level.status, 0, level.err);
    const pl = await getJson(fx, ['get', 'prioritylevelconfiguration', 'batch-level']);
    assert.deepEqual(pl.spec.limited, {
      nominalConcurrencyShares: 30,
      lendablePercent: 0,
      limitResponse: { type: 'Queue', queuing: { handSize: 8, queues: 64, queueLengthLimit: 50 } },
    });
    assert.deepEqual(pl.status, {});
    await eventually('batch no longer dangling', async () => {
      const row = table((await kubectl(fx, ['get', 'flowschema', 'batch'])).out)[1];
      return row?.[5] === 'False';
    });

    // A spec change is a new generation; the status subresource writes only the status.
    await ok(fx, ['patch', 'flowschema', 'batch', '--type=merge', '-p', '{"spec":{"matchingPrecedence":700}}']);
    await ok(fx, [
      'patch',
      'flowschema',
      'batch',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"spec":{"matchingPrecedence":5},"status":{"conditions":[{"type":"Dangling","status":"False","reason":"Found","message":"m"},{"type":"Extra","status":"True"}]}}',
    ]);
    const patched = await getJson(fx, ['get', 'flowschema', 'batch']);
    assert.equal(patched.metadata.generation, 2);
    assert.equal(patched.spec.matchingPrecedence, 700);
    assert.ok(patched.status.conditions.some((x: { type: string }) => x.type === 'Extra'));
    await ok(fx, ['delete', 'flowschema', 'batch']);
    await ok(fx, ['delete', 'prioritylevelconfiguration', 'batch-level']);
  });

  it("refuses what upstream's validation refuses, as 422 Invalid", async () => {
    const post = (resource: string, body: unknown) => curlPost(fx, `/apis/${G}/v1/${resource}`, body);
    const bad = await post('flowschemas', {
      apiVersion: `${G}/v1`,
      kind: 'FlowSchema',
      metadata: { name: 'bad' },
      spec: {
        priorityLevelConfiguration: { name: 'global-default' },
        matchingPrecedence: 1,
        rules: [
          {
            subjects: [{ kind: 'User' }],
            resourceRules: [{ verbs: ['get', 'steal'], apiGroups: ['*'], resources: ['*'] }],
          },
        ],
      },
    });
    assert.equal(bad.code, 422, bad.body);
    const status = JSON.parse(bad.body);
    assert.equal(status.reason, 'Invalid');
    assert.deepEqual(
      status.details.causes.map((c: { field: string; reason: string }) => `${c.field} ${c.reason}`),
      [
        'spec.matchingPrecedence FieldValueInvalid',
        'spec.rules[0].subjects[0].user FieldValueRequired',
        'spec.rules[0].resourceRules[0].verbs FieldValueNotSupported',
        'spec.rules[0].resourceRules[0].namespaces FieldValueRequired',
      ],
    );
    assert.match(status.message, /only the schema named 'exempt' may have matchingPrecedence 1/);

    const level = await post('prioritylevelconfigurations', {
      apiVersion: `${G}/v1`,
      kind: 'PriorityLevelConfiguration',
      metadata: { name: 'greedy' },
      spec: { type: 'Limited', limited: { limitResponse: { type: 'Queue', queuing: { queues: 512, handSize: 8 } } } },
    });
    assert.equal(level.code, 422, level.body);
    assert.match(
      JSON.parse(level.body).message,
      /spec\.limited\.limitResponse\.queuing\.handSize: Invalid value: 8: required entropy bits of deckSize 512 and handSize 8 should not be greater than 60/,
    );

    // Strict field validation knows the fields (kubectl's default).
    const typo = await apply(fx, 'typo', [
      `apiVersion: ${G}/v1`,
      'kind: PriorityLevelConfiguration',
      'metadata: {name: typo}',
      'spec: {type: Limited, limited: {nominalConcurrencyShare: 3, limitResponse: {type: Reject}}}',
    ]);
    assert.notEqual(typo.status, 0);
    assert.match(typo.err, /unknown field "spec\.limited\.nominalConcurrencyShare"/);
  });

  it("the mandatory objects are pinned; only the exempt level's exempt field may change", async () => {
    const fs = await kubectl(fx, [
      'patch',
      'flowschema',
      'exempt',
      '--type=merge',
      '-p',
      '{"spec":{"matchingPrecedence":2}}',
    ]);
    assert.notEqual(fs.status, 0);
    assert.match(fs.err, /spec of 'exempt' must equal the fixed value/);
    const catchAll = await kubectl(fx, [
      'patch',
      'prioritylevelconfiguration',
      'catch-all',
      '--type=merge',
      '-p',
      '{"spec":{"limited":{"nominalConcurrencyShares":50}}}',
    ]);
    assert.notEqual(catchAll.status, 0);
    assert.match(catchAll.err, /spec of 'catch-all' must equal the fixed value/);
    const repurpose = await kubectl(fx, [
      'patch',
      'prioritylevelconfiguration',
      'exempt',
      '--type=merge',
      '-p',
      '{"spec":{"type":"Limited"}}',
    ]);
    assert.notEqual(repurpose.status, 0);
    assert.match(repurpose.err, /spec of 'exempt' except the 'spec.exempt' field must equal the fixed value/);
    await ok(fx, [
      'patch',
      'prioritylevelconfiguration',
      'exempt',
      '--type=merge',
      '-p',
      '{"spec":{"exempt":{"nominalConcurrencyShares":10,"lendablePercent":20}}}',
    ]);
    const exempt = await getJson(fx, ['get', 'prioritylevelconfiguration', 'exempt']);
    assert.deepEqual(exempt.spec.exempt, { nominalConcurrencyShares: 10, lendablePercent: 20 });
    assert.equal(exempt.metadata.generation, 2);
    // Suggested objects are the operator's to edit.
    await ok(fx, ['patch', 'flowschema', 'probes', '--type=merge', '-p', '{"spec":{"matchingPrecedence":3}}']);
    assert.equal((await getJson(fx, ['get', 'flowschema', 'probes'])).spec.matchingPrecedence, 3);
  });

  it('kubectl explain reads the typed schema', async () => {
    const r = await ok(fx, ['explain', 'prioritylevelconfigurations.spec.limited']);
    assert.match(r, /nominalConcurrencyShares/);
    assert.match(r, /lendablePercent/);
    const get = await curl(fx, `/apis/${G}/v1/flowschemas/exempt/status`);
    assert.equal(get.code, 200);
    assert.equal(JSON.parse(get.body).kind, 'FlowSchema');
  });
});
