// The APF configuration producer (ensurer) and the Dangling condition controller, against real
// registries on SQLite.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FlowSchema, KubeObject, PriorityLevelConfiguration } from '@mkube/shared/api';
import { createLogger } from '@mkube/shared/log';
import {
  MANDATORY_FLOW_SCHEMAS,
  MANDATORY_PRIORITY_LEVELS,
  SUGGESTED_FLOW_SCHEMAS,
  SUGGESTED_PRIORITY_LEVELS,
} from '../../src/flowcontrol/bootstrap.ts';
import {
  DanglingConditionController,
  danglingVerdict,
  type FlowControlInformers,
} from '../../src/flowcontrol/conditions.ts';
import {
  APFConfigurationEnsurer,
  flowSchemaSpecEqualish,
  parseGoBool,
  priorityLevelSpecEqualish,
  reviseIfNeeded,
} from '../../src/flowcontrol/ensurer.ts';
import { Informer } from '../../src/informers/index.ts';
import { findResource } from '../../src/registry/catalog.ts';
import { EVERYTHING } from '../../src/registry/filter.ts';
import { GenericRegistry } from '../../src/registry/generic.ts';
import { Registries } from '../../src/registry/index.ts';
import type { RESTStrategy } from '../../src/registry/strategy.ts';
import { openSqliteStore, type SqliteStore } from '../../src/storage/index.ts';
import { jsonClone } from '../../src/util/json.ts';

const GROUP = 'flowcontrol.apiserver.k8s.io';
const AUTOUPDATE = 'apf.kubernetes.io/autoupdate-spec';
const log = createLogger({ name: 'test', destination: { write: () => undefined } as never });
const ctx = () => ({ user: { username: 'admin', groups: ['system:masters'] }, now: new Date() });
const write = { dryRun: false };
const clone = <T>(o: T): T => jsonClone(o) as T;

async function until(what: string, check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

/** Writes as an older or broken server might have: no defaults, no validation. */
const RAW: RESTStrategy = {
  prepareForCreate() {},
  prepareForUpdate() {},
  validate: () => [],
  validateUpdate: () => [],
};

describe('reviseIfNeeded (the ensure strategies)', () => {
  const level = clone(SUGGESTED_PRIORITY_LEVELS[0]!);
  const changed = () => {
    const o = clone(level);
    o.spec!.limited!.nominalConcurrencyShares = 1;
    return o;
  };

  it('parses the annotation as strconv.ParseBool', () => {
    assert.deepEqual(['true', 'T', '1', 'False', '0', 'f', 'yes', '', undefined].map(parseGoBool), [
      true,
      true,
      true,
      false,
      false,
      false,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('mandatory: always the built-in spec and autoupdate "true"', () => {
    const cur = changed();
    cur.metadata.annotations = { [AUTOUPDATE]: 'false' };
    const r = reviseIfNeeded('mandatory', cur, level, priorityLevelSpecEqualish);
    assert.deepEqual(r?.spec, level.spec);
    assert.equal(r?.metadata.annotations?.[AUTOUPDATE], 'true');
    const fine = clone(level);
    assert.equal(reviseIfNeeded('mandatory', fine, level, priorityLevelSpecEqualish), undefined);
  });

  it('suggested: the annotation decides; absent, generation 1 means never edited', () => {
    const off = changed();
    off.metadata.annotations = { [AUTOUPDATE]: 'false' };
    assert.equal(reviseIfNeeded('suggested', off, level, priorityLevelSpecEqualish), undefined);
    const on = changed();
    assert.deepEqual(reviseIfNeeded('suggested', on, level, priorityLevelSpecEqualish)?.spec, level.spec);
    const edited = changed();
    edited.metadata.annotations = { other: 'x', [AUTOUPDATE]: 'maybe' };
    edited.metadata.generation = 3;
    const kept = reviseIfNeeded('suggested', edited, level, priorityLevelSpecEqualish);
    assert.deepEqual(kept?.spec, edited.spec);
    assert.deepEqual(kept?.metadata.annotations, { other: 'x', [AUTOUPDATE]: 'false' });
    const fresh = changed();
    fresh.metadata.annotations = {};
    fresh.metadata.generation = 1;
    const taken = reviseIfNeeded('suggested', fresh, level, priorityLevelSpecEqualish);
    assert.deepEqual(taken?.spec, level.spec);
    assert.equal(taken?.metadata.annotations?.[AUTOUPDATE], 'true');
  });

  it('compares defaulted specs; the exempt level keeps its own exempt values', () => {
    const fs = clone(SUGGESTED_FLOW_SCHEMAS[0]!);
    delete (fs.spec as { matchingPrecedence?: number }).matchingPrecedence;
    const defaultedDiffers = clone(SUGGESTED_FLOW_SCHEMAS[0]!);
    defaultedDiffers.spec!.matchingPrecedence = 1000;
    assert.ok(flowSchemaSpecEqualish(fs, defaultedDiffers));
    assert.ok(!flowSchemaSpecEqualish(SUGGESTED_FLOW_SCHEMAS[0]!, defaultedDiffers));
    const exempt = MANDATORY_PRIORITY_LEVELS[0]!;
    const tuned = clone(exempt);
    tuned.spec!.exempt = { nominalConcurrencyShares: 7, lendablePercent: 3 };
    assert.ok(priorityLevelSpecEqualish(exempt, tuned));
    const none = clone(exempt);
    delete none.spec!.exempt;
    assert.ok(!priorityLevelSpecEqualish(exempt, none));
  });
});

describe('APFConfigurationEnsurer on SQLite', () => {
  let dir: string;
  let store: SqliteStore;
  let regs: Registries;
  let ensurer: APFConfigurationEnsurer;
  const levels = () => regs.get(GROUP, 'prioritylevelconfigurations')!;
  const schemas = () => regs.get(GROUP, 'flowschemas')!;
  const raw = (resource: string) => new GenericRegistry(findResource(GROUP, 'v1', resource)!, RAW, store);
  const getLevel = async (name: string) => (await levels().get('', name)) as PriorityLevelConfiguration;
  const getSchema = async (name: string) => (await schemas().get('', name)) as FlowSchema;
  const versions = async () => {
    const all = [
      ...(await levels().list({ namespace: '', filter: EVERYTHING })).items,
      ...(await schemas().list({ namespace: '', filter: EVERYTHING })).items,
    ];
    return Object.fromEntries(all.map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion]));
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mkube-apf-ensurer-'));
    store = await openSqliteStore(dir);
    regs = new Registries(store);
    ensurer = new APFConfigurationEnsurer(regs, log);
  });
  after(async () => {
    ensurer.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates every built-in object, as built in; a second pass writes nothing', async () => {
    await ensurer.ensure();
    const pls = (await levels().list({ namespace: '', filter: EVERYTHING })).items as PriorityLevelConfiguration[];
    const fss = (await schemas().list({ namespace: '', filter: EVERYTHING })).items as FlowSchema[];
    assert.deepEqual(
      pls.map((o) => o.metadata.name).sort(),
      [...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS].map((o) => o.metadata.name).sort(),
    );
    assert.equal(fss.length, MANDATORY_FLOW_SCHEMAS.length + SUGGESTED_FLOW_SCHEMAS.length);
    for (const b of [...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS]) {
      const o = pls.find((x) => x.metadata.name === b.metadata.name)!;
      assert.deepEqual(o.spec, b.spec, b.metadata.name);
      assert.equal(o.metadata.annotations?.[AUTOUPDATE], 'true');
      assert.equal(o.metadata.generation, 1);
    }
    for (const b of [...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS]) {
      assert.deepEqual(fss.find((x) => x.metadata.name === b.metadata.name)?.spec, b.spec, b.metadata.name);
    }
    const before = await versions();
    await ensurer.ensure();
    assert.deepEqual(await versions(), before);
  });

  it("mandatory: a diverged spec and a lost annotation are put back; the exempt level's tuning stays", async () => {
    const catchAll = await getLevel('catch-all');
    const broken = clone(catchAll);
    broken.spec!.limited!.nominalConcurrencyShares = 500;
    delete broken.metadata.annotations;
    await raw('prioritylevelconfigurations').update('', 'catch-all', broken, '', ctx(), write);
    const exempt = clone(await getLevel('exempt'));
    exempt.spec!.exempt = { nominalConcurrencyShares: 40, lendablePercent: 10 };
    await levels().update('', 'exempt', exempt, '', ctx(), write);
    const fs = clone(await getSchema('exempt'));
    fs.metadata.annotations = { [AUTOUPDATE]: 'false' };
    await schemas().update('', 'exempt', fs, '', ctx(), write);

    await ensurer.ensure();
    const restored = await getLevel('catch-all');
    assert.deepEqual(restored.spec, MANDATORY_PRIORITY_LEVELS[1]!.spec);
    assert.equal(restored.metadata.annotations?.[AUTOUPDATE], 'true');
    assert.deepEqual((await getLevel('exempt')).spec?.exempt, { nominalConcurrencyShares: 40, lendablePercent: 10 });
    assert.equal((await getSchema('exempt')).metadata.annotations?.[AUTOUPDATE], 'true');

    // An exempt level without its exempt section gets the built-in one back.
    const bare = clone(await getLevel('exempt'));
    delete bare.spec!.exempt;
    await levels().update('', 'exempt', bare, '', ctx(), write);
    await ensurer.ensure();
    assert.deepEqual((await getLevel('exempt')).spec?.exempt, { nominalConcurrencyShares: 0, lendablePercent: 0 });
  });

  it('suggested: edits undone while autoupdate is true, kept once it is false or the spec was edited', async () => {
    const edit = async (name: string, annotations: Record<string, string> | undefined, shares: number) => {
      const o = clone(await getLevel(name));
      o.spec!.limited!.nominalConcurrencyShares = shares;
      if (annotations) o.metadata.annotations = annotations;
      else delete o.metadata.annotations;
      return (await levels().update('', name, o, '', ctx(), write)) as PriorityLevelConfiguration;
    };
    await edit('system', { [AUTOUPDATE]: 'true' }, 1);
    await edit('node-high', { [AUTOUPDATE]: 'false' }, 2);
    const nodeHighBefore = (await getLevel('node-high')).metadata.resourceVersion;
    const edited = await edit('leader-election', undefined, 3);
    assert.equal(edited.metadata.generation, 2);

    await ensurer.ensure();
    assert.equal((await getLevel('system')).spec?.limited?.nominalConcurrencyShares, 30);
    assert.equal((await getLevel('node-high')).metadata.resourceVersion, nodeHighBefore);
    const le = await getLevel('leader-election');
    assert.equal(le.spec?.limited?.nominalConcurrencyShares, 3);
    assert.equal(le.metadata.annotations?.[AUTOUPDATE], 'false');
  });

  it('suggested: a deleted one comes back; one recreated without the annotation (generation 1) is taken over', async () => {
    await levels().delete('', 'workload-low', undefined, write, ctx());
    await schemas().delete('', 'probes', undefined, write, ctx());
    await schemas().delete('', 'service-accounts', undefined, write, ctx());
    const variant = clone(SUGGESTED_FLOW_SCHEMAS.find((o) => o.metadata.name === 'service-accounts')!);
    delete variant.metadata.annotations;
    variant.spec!.matchingPrecedence = 8000;
    await schemas().create('', variant, ctx(), write);

    await ensurer.ensure();
    assert.deepEqual((await getLevel('workload-low')).spec, SUGGESTED_PRIORITY_LEVELS[4]!.spec);
    assert.equal((await getSchema('probes')).spec?.priorityLevelConfiguration.name, 'exempt');
    const sa = await getSchema('service-accounts');
    assert.equal(sa.spec?.matchingPrecedence, 9000);
    assert.equal(sa.metadata.annotations?.[AUTOUPDATE], 'true');
  });

  it('deletes objects annotated autoupdate true that are no longer built in, and only those', async () => {
    const mk = (name: string, annotation?: string) =>
      ({
        metadata: { name, ...(annotation === undefined ? {} : { annotations: { [AUTOUPDATE]: annotation } }) },
        spec: { type: 'Limited', limited: { limitResponse: { type: 'Reject' } } },
      }) as PriorityLevelConfiguration;
    for (const [name, a] of [
      ['retired', 'true'],
      ['retired-too', 'True'],
      ['mine', 'false'],
      ['other', undefined],
      ['odd', 'maybe'],
    ] as const) {
      await levels().create('', mk(name, a), ctx(), write);
    }
    const fs = clone(SUGGESTED_FLOW_SCHEMAS[0]!);
    fs.metadata.name = 'retired-schema';
    await schemas().create('', fs, ctx(), write);

    await ensurer.ensure();
    const names = (await levels().list({ namespace: '', filter: EVERYTHING })).items.map(
      (o: KubeObject) => o.metadata.name,
    );
    for (const gone of ['retired', 'retired-too']) assert.ok(!names.includes(gone), gone);
    for (const kept of ['mine', 'other', 'odd', 'exempt', 'catch-all']) assert.ok(names.includes(kept), kept);
    await assert.rejects(schemas().get('', 'retired-schema'), /not found/);
  });

  it('start(): a first pass at once, then one each interval; stop() ends them', async () => {
    const timed = new APFConfigurationEnsurer(regs, log, { timing: { intervalMs: 30, retryMs: 10 } });
    await levels().delete('', 'global-default', undefined, write, ctx());
    timed.start();
    try {
      await until('first pass', async () => timed.succeeded);
      assert.ok(await getLevel('global-default'));
      await levels().delete('', 'global-default', undefined, write, ctx());
      await until('recreated by a later pass', async () =>
        levels()
          .get('', 'global-default')
          .then(
            () => true,
            () => false,
          ),
      );
    } finally {
      timed.stop();
    }
    await levels().delete('', 'global-default', undefined, write, ctx());
    await new Promise((r) => setTimeout(r, 100));
    await assert.rejects(levels().get('', 'global-default'), /not found/);
  });
});

describe('DanglingConditionController', () => {
  let dir: string;
  let store: SqliteStore;
  let regs: Registries;
  let controller: DanglingConditionController;
  let informers: FlowControlInformers;
  const levels = () => regs.get(GROUP, 'prioritylevelconfigurations')!;
  const schemas = () => regs.get(GROUP, 'flowschemas')!;
  const dangling = async (name: string) =>
    ((await schemas().get('', name)) as FlowSchema).status?.conditions?.find((c) => c.type === 'Dangling');
  const schema = (name: string, level: string) =>
    ({
      metadata: { name },
      spec: {
        priorityLevelConfiguration: { name: level },
        matchingPrecedence: 500,
        rules: [
          {
            subjects: [{ kind: 'User', user: { name: 'u' } }],
            nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
          },
        ],
      },
    }) as FlowSchema;
  const level = (name: string) =>
    ({
      metadata: { name },
      spec: { type: 'Limited', limited: { limitResponse: { type: 'Reject' } } },
    }) as PriorityLevelConfiguration;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mkube-apf-dangling-'));
    store = await openSqliteStore(dir);
    regs = new Registries(store);
    // Present before the controller starts: judged once both caches are listed.
    await levels().create('', level('there'), ctx(), write);
    await schemas().create('', schema('early', 'there'), ctx(), write);
    // The controller reads the dispatcher's informers; here the test owns them.
    informers = {
      schemas: new Informer<FlowSchema>(schemas(), log),
      levels: new Informer<PriorityLevelConfiguration>(levels(), log),
    };
    controller = new DanglingConditionController(regs, informers, log);
    await Promise.all([informers.schemas.start(), informers.levels.start()]);
    controller.start();
  });
  after(async () => {
    await controller.stop();
    informers.schemas.stop();
    informers.levels.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("has upstream's messages", () => {
    assert.deepEqual(danglingVerdict('x', true), {
      status: 'False',
      reason: 'Found',
      message: 'This FlowSchema references the PriorityLevelConfiguration object named "x" and it exists',
    });
    assert.deepEqual(danglingVerdict('x', false), {
      status: 'True',
      reason: 'NotFound',
      message: 'This FlowSchema references the PriorityLevelConfiguration object named "x" but there is no such object',
    });
  });

  it('marks a schema whose level exists Found', async () => {
    await until('early Found', async () => (await dangling('early'))?.reason === 'Found');
    const c = (await dangling('early'))!;
    assert.equal(c.status, 'False');
    assert.ok(c.lastTransitionTime);
  });

  it('follows the level: NotFound, Found once it is created, NotFound again once deleted; other conditions stay', async () => {
    await schemas().create('', schema('orphan', 'later'), ctx(), write);
    await until('orphan NotFound', async () => (await dangling('orphan'))?.status === 'True');
    assert.deepEqual(await dangling('orphan').then((c) => [c?.reason, c?.message]), [
      'NotFound',
      'This FlowSchema references the PriorityLevelConfiguration object named "later" but there is no such object',
    ]);
    const cur = (await schemas().get('', 'orphan')) as FlowSchema;
    cur.status!.conditions!.unshift({ type: 'Other', status: 'True', reason: 'R', message: 'm' });
    await schemas().update('', 'orphan', cur, 'status', ctx(), write);

    await levels().create('', level('later'), ctx(), write);
    await until('orphan Found', async () => (await dangling('orphan'))?.status === 'False');
    const found = (await schemas().get('', 'orphan')) as FlowSchema;
    assert.deepEqual(
      found.status?.conditions?.map((c) => [c.type, c.status]),
      [
        ['Other', 'True'],
        ['Dangling', 'False'],
      ],
    );

    // Nothing more to write: a sync leaves the object alone.
    await controller.sync('orphan');
    assert.equal(
      ((await schemas().get('', 'orphan')) as FlowSchema).metadata.resourceVersion,
      found.metadata.resourceVersion,
    );

    await levels().delete('', 'later', undefined, write, ctx());
    await until('orphan NotFound again', async () => (await dangling('orphan'))?.status === 'True');
  });

  it('a schema pointed at another level is judged again', async () => {
    const cur = clone((await schemas().get('', 'early')) as FlowSchema);
    cur.spec!.priorityLevelConfiguration.name = 'missing';
    await schemas().update('', 'early', cur, '', ctx(), write);
    await until('early NotFound', async () => (await dangling('early'))?.reason === 'NotFound');
    assert.match((await dangling('early'))!.message!, /named "missing" but there is no such object/);
  });
});
