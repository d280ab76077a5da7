// batch/v1 Jobs and CronJobs through a real apiserver: the defaults and the generated selector, each
// refusal with upstream's words, generation and /status, and kubectl 1.33 (protobuf writes) and 1.27
// creating and listing them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  adminCreate,
  adminRequest,
  expectInvalid,
  type Fixture,
  kubectl,
  kubectlBinary,
  startFixture,
} from '../server/fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: Status bodies and objects are read field by field
type Json = any;

const NS = '/apis/batch/v1/namespaces/default';
const JOBS = `${NS}/jobs`;
const CRONJOBS = `${NS}/cronjobs`;

const podTemplate = (extra: Json = {}) => ({
  spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }], ...extra },
});
const job = (name: string, spec: Json = {}) => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name },
  spec: { template: podTemplate(), ...spec },
});
const cronJob = (name: string, spec: Json = {}) => ({
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name },
  spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: podTemplate() } }, ...spec },
});

describe('batch/v1 Jobs and CronJobs', () => {
  let fx: Fixture;

  const send = (method: string, path: string, body?: unknown, accept?: string) =>
    adminRequest(fx, method, path, body, accept ? { accept } : {});
  const created = (path: string, body: unknown) => adminCreate(fx, path, body);
  const invalid = expectInvalid;

  before(async () => {
    fx = await startFixture();
  });
  after(async () => {
    await fx?.close();
  });

  it('warns when a Job or CronJob name is not a DNS label (its pods and hostnames take it)', async () => {
    for (const [path, body] of [
      [JOBS, job('with.dots')],
      [CRONJOBS, cronJob('cron.dots')],
    ] as const) {
      const r = await send('POST', path, body);
      assert.equal(r.code, 201, JSON.stringify(r.json));
      assert.match(
        r.warning ?? '',
        /metadata\.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: \[a lowercase RFC 1123 label must consist of lower case alphanumeric characters/,
      );
    }
    const plain = await send('POST', JOBS, job('plain'));
    assert.equal(plain.warning, undefined);
  });

  it('selects Jobs by status.successful (batch/v1 field label)', async () => {
    const j = await created(JOBS, job('counted'));
    const st = await send('PUT', `${JOBS}/counted/status`, {
      ...j,
      status: { startTime: '2026-12-07T10:00:00Z', succeeded: 1, active: 0 },
    });
    assert.equal(st.code, 200, JSON.stringify(st.json));
    const names = async (sel: string) =>
      (await send('GET', `${JOBS}?fieldSelector=${encodeURIComponent(sel)}`)).json.items.map(
        (i: { metadata: { name: string } }) => i.metadata.name,
      );
    assert.deepEqual(await names('status.successful=1'), ['counted']);
    assert.ok(!(await names('status.successful=0')).includes('counted'));
  });

  describe('Job defaults and the generated selector', () => {
    it('fills SetDefaults_Job, the pod template defaults, and selects by the Job uid', async () => {
      const j = await created(JOBS, job('defaults'));
      const uid = j.metadata.uid;
      assert.match(uid, /^[0-9a-f-]{36}$/);
      assert.equal(j.metadata.generation, 1);
      assert.deepEqual(j.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
      const labels = {
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': 'defaults',
        'controller-uid': uid,
        'job-name': 'defaults',
      };
      assert.deepEqual(j.spec.template.metadata.labels, labels);
      // The Job takes its template's labels when it has none.
      assert.deepEqual(j.metadata.labels, labels);
      assert.equal(j.spec.completions, 1);
      assert.equal(j.spec.parallelism, 1);
      assert.equal(j.spec.backoffLimit, 6);
      assert.equal(j.spec.completionMode, 'NonIndexed');
      assert.equal(j.spec.suspend, false);
      assert.equal(j.spec.podReplacementPolicy, 'TerminatingOrFailed');
      assert.equal(j.spec.manualSelector, undefined);
      assert.deepEqual(j.status, {});
      const ps = j.spec.template.spec;
      assert.equal(ps.dnsPolicy, 'ClusterFirst');
      assert.equal(ps.schedulerName, 'default-scheduler');
      assert.equal(ps.terminationGracePeriodSeconds, 30);
      assert.deepEqual(ps.securityContext, {});
      // SetDefaults_Pod's own are not a template's.
      assert.equal(ps.enableServiceLinks, undefined);
      assert.equal(ps.containers[0].imagePullPolicy, 'Always');
      assert.equal(ps.containers[0].terminationMessagePolicy, 'File');
    });

    it('leaves completions unset for a work queue, and backoffLimit MaxInt32 with backoffLimitPerIndex', async () => {
      const q = await created(JOBS, job('queue', { parallelism: 3 }));
      assert.equal(q.spec.completions, undefined);
      assert.equal(q.spec.parallelism, 3);
      const idx = await created(
        JOBS,
        job('per-index', { completionMode: 'Indexed', completions: 2, backoffLimitPerIndex: 1 }),
      );
      assert.equal(idx.spec.backoffLimit, 2147483647);
      assert.equal(idx.spec.parallelism, 1);
    });

    it('keeps a manual selector and the Job labels the user gave', async () => {
      const j = await created(
        JOBS,
        job('manual', {
          manualSelector: true,
          selector: { matchLabels: { app: 'm' } },
          template: { metadata: { labels: { app: 'm' } }, ...podTemplate() },
        }),
      );
      assert.deepEqual(j.spec.selector, { matchLabels: { app: 'm' } });
      assert.deepEqual(j.spec.template.metadata.labels, { app: 'm' });
      assert.equal(j.spec.manualSelector, true);
      const own = await created(JOBS, { ...job('own-labels'), metadata: { name: 'own-labels', labels: { a: 'b' } } });
      assert.deepEqual(own.metadata.labels, { a: 'b' });
    });
  });

  describe('Job validation', () => {
    it('refuses a selector without manualSelector', async () => {
      const r = await send('POST', JOBS, job('sel', { selector: { matchLabels: { app: 'x' } } }));
      assert.equal(r.code, 422, JSON.stringify(r.json));
      // The uid is the one the server gave the refused object.
      const uid = /"controller-uid":"([0-9a-f-]{36})"/.exec(r.json.message)?.[1];
      assert.ok(uid, r.json.message);
      const labels = `map[string]string{"batch.kubernetes.io/controller-uid":"${uid}", "batch.kubernetes.io/job-name":"sel", "controller-uid":"${uid}", "job-name":"sel"}`;
      assert.equal(
        r.json.message,
        `Job.batch "sel" is invalid: [spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x", "batch.kubernetes.io/controller-uid":"${uid}"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: \`selector\` not auto-generated, spec.template.metadata.labels: Invalid value: ${labels}: \`selector\` does not match template \`labels\`]`,
      );
    });

    it('refuses a manual selector that misses the template', async () => {
      await invalid(
        send(
          'POST',
          JOBS,
          job('miss', { manualSelector: true, selector: { matchLabels: { app: 'x' } }, template: podTemplate() }),
        ),
        'Job.batch "miss" is invalid: spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`',
      );
      await invalid(
        send('POST', JOBS, job('nosel', { manualSelector: true })),
        // A missing selector selects nothing, so the template is not selected either (upstream says both).
        'Job.batch "nosel" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`]',
      );
    });

    it('refuses restartPolicy Always (also what an unset one defaults to) and unknown ones', async () => {
      await invalid(
        send('POST', JOBS, job('always', { template: podTemplate({ restartPolicy: 'Always' }) })),
        'Job.batch "always" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
      );
      await invalid(
        send('POST', JOBS, job('unset', { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } })),
        'Job.batch "unset" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
      );
      await invalid(
        send('POST', JOBS, job('weird', { template: podTemplate({ restartPolicy: 'Sometimes' }) })),
        // The pod's rule and the Job's, each with its own list.
        'Job.batch "weird" is invalid: [spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never", spec.template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"]',
      );
    });

    it('refuses negative counts and unknown modes', async () => {
      await invalid(
        send(
          'POST',
          JOBS,
          job('neg', { parallelism: -1, completions: -2, backoffLimit: -3, activeDeadlineSeconds: -4 }),
        ),
        'Job.batch "neg" is invalid: [spec.parallelism: Invalid value: -1: must be greater than or equal to 0, spec.completions: Invalid value: -2: must be greater than or equal to 0, spec.activeDeadlineSeconds: Invalid value: -4: must be greater than or equal to 0, spec.backoffLimit: Invalid value: -3: must be greater than or equal to 0]',
      );
      await invalid(
        send('POST', JOBS, job('ttl', { ttlSecondsAfterFinished: -1 })),
        'Job.batch "ttl" is invalid: spec.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0',
      );
      await invalid(
        send('POST', JOBS, job('mode', { completionMode: 'Sometimes' })),
        'Job.batch "mode" is invalid: spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"',
      );
      await invalid(
        send('POST', JOBS, job('indexed', { completionMode: 'Indexed', parallelism: 2 })),
        'Job.batch "indexed" is invalid: spec.completions: Required value: when completion mode is Indexed',
      );
      await invalid(
        send('POST', JOBS, job('per-index-nonindexed', { backoffLimitPerIndex: 1 })),
        'Job.batch "per-index-nonindexed" is invalid: spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode',
      );
      await invalid(
        send('POST', JOBS, job('pod-rules', { template: podTemplate({ containers: [{ name: 'c' }] }) })),
        'Job.batch "pod-rules" is invalid: spec.template.spec.containers[0].image: Required value',
      );
    });

    it('keeps the selector and the template, and completions of a NonIndexed Job, immutable', async () => {
      const j = await created(JOBS, job('immutable'));
      const put = (spec: Json) => send('PUT', `${JOBS}/immutable`, { ...j, spec: { ...j.spec, ...spec } });
      const r = await put({
        template: { ...j.spec.template, spec: { ...j.spec.template.spec, activeDeadlineSeconds: 5 } },
      });
      assert.equal(r.code, 422);
      assert.match(
        r.json.message,
        /^Job\.batch "immutable" is invalid: spec\.template: Invalid value: \{.*\}: field is immutable$/,
      );
      await invalid(
        put({ completions: 3 }),
        'Job.batch "immutable" is invalid: spec.completions: Invalid value: 3: field is immutable',
      );
      const sel = await put({ selector: { matchLabels: { ...j.spec.selector.matchLabels, 'job-name': 'immutable' } } });
      assert.equal(sel.code, 422);
      assert.match(
        sel.json.message,
        /spec\.selector: Invalid value: v1\.LabelSelector\{MatchLabels:map\[string\]string\{"batch\.kubernetes\.io\/controller-uid":"[0-9a-f-]{36}", "job-name":"immutable"\}, MatchExpressions:\[\]v1\.LabelSelectorRequirement\(nil\)\}: field is immutable/,
      );
    });

    it('lets a suspended Job that never ran change its scheduling directives; a spec change is a new generation', async () => {
      const j = await created(JOBS, job('suspended', { suspend: true }));
      assert.equal(j.metadata.generation, 1);
      const t = j.spec.template;
      const r = await send('PUT', `${JOBS}/suspended`, {
        ...j,
        spec: { ...j.spec, template: { ...t, spec: { ...t.spec, nodeSelector: { disk: 'ssd' } } } },
      });
      assert.equal(r.code, 200, JSON.stringify(r.json));
      assert.equal(r.json.metadata.generation, 2);
      assert.deepEqual(r.json.spec.template.spec.nodeSelector, { disk: 'ssd' });
      const resumed = await send('PUT', `${JOBS}/suspended`, { ...r.json, spec: { ...r.json.spec, suspend: false } });
      assert.equal(resumed.code, 200, JSON.stringify(resumed.json));
      assert.equal(resumed.json.metadata.generation, 3);
      // A metadata-only change keeps the generation.
      const labelled = await send('PUT', `${JOBS}/suspended`, {
        ...resumed.json,
        metadata: { ...resumed.json.metadata, annotations: { a: 'b' } },
      });
      assert.equal(labelled.code, 200, JSON.stringify(labelled.json));
      assert.equal(labelled.json.metadata.generation, 3);
    });

    it('writes the status only through /status, and keeps the spec there', async () => {
      const j = await created(JOBS, job('status'));
      const start = '2025-01-01T00:00:00Z';
      const main = await send('PUT', `${JOBS}/status`, { ...j, status: { active: 1, startTime: start } });
      assert.equal(main.code, 200, JSON.stringify(main.json));
      assert.deepEqual(main.json.status, {});
      const st = await send('PUT', `${JOBS}/status/status`, {
        ...main.json,
        spec: { ...main.json.spec, parallelism: 5 },
        status: { active: 1, startTime: start },
      });
      assert.equal(st.code, 200, JSON.stringify(st.json));
      assert.deepEqual(st.json.status, { active: 1, startTime: start });
      assert.equal(st.json.spec.parallelism, 1);
      assert.equal(st.json.metadata.generation, 1);
      await invalid(
        send('PUT', `${JOBS}/status/status`, { ...st.json, status: { active: -1, startTime: start } }),
        'Job.batch "status" is invalid: status.active: Invalid value: -1: must be greater than or equal to 0',
      );
      const done = await send('PUT', `${JOBS}/status/status`, {
        ...st.json,
        status: {
          startTime: start,
          completionTime: '2025-01-01T00:00:07Z',
          succeeded: 1,
          conditions: [
            { type: 'SuccessCriteriaMet', status: 'True' },
            { type: 'Complete', status: 'True' },
          ],
        },
      });
      assert.equal(done.code, 200, JSON.stringify(done.json));
      await invalid(
        send('PUT', `${JOBS}/status/status`, {
          ...done.json,
          status: { ...done.json.status, succeeded: 0, conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }] },
        }),
        'Job.batch "status" is invalid: [status.completionTime: Invalid value: "2025-01-01T00:00:07Z": cannot set completionTime when there is no Complete=True condition, status.conditions: Invalid value: cannot disable the terminal Complete=True condition, status.succeeded: Invalid value: 0: cannot decrease the succeeded counter]',
      );
    });
  });

  describe('CronJob defaults and validation', () => {
    it('fills SetDefaults_CronJob and the pod template defaults, not a Job spec', async () => {
      const cj = await created(CRONJOBS, cronJob('defaults'));
      assert.equal(cj.metadata.generation, 1);
      assert.equal(cj.spec.concurrencyPolicy, 'Allow');
      assert.equal(cj.spec.suspend, false);
      assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
      assert.equal(cj.spec.failedJobsHistoryLimit, 1);
      const js = cj.spec.jobTemplate.spec;
      assert.equal(js.completions, undefined);
      assert.equal(js.backoffLimit, undefined);
      assert.equal(js.selector, undefined);
      assert.equal(js.template.spec.dnsPolicy, 'ClusterFirst');
      assert.equal(js.template.spec.containers[0].imagePullPolicy, 'Always');
      assert.deepEqual(cj.status, {});
    });

    it('refuses schedules robfig/cron cannot parse, with its words', async () => {
      await invalid(
        send('POST', CRONJOBS, cronJob('bad', { schedule: '* * *' })),
        'CronJob.batch "bad" is invalid: spec.schedule: Invalid value: "* * *": expected exactly 5 fields, found 3: [* * *]',
      );
      await invalid(
        send('POST', CRONJOBS, cronJob('range', { schedule: '61 * * * *' })),
        'CronJob.batch "range" is invalid: spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61',
      );
      await invalid(
        send('POST', CRONJOBS, cronJob('empty', { schedule: '' })),
        'CronJob.batch "empty" is invalid: spec.schedule: Required value',
      );
      await created(CRONJOBS, cronJob('hourly', { schedule: '@hourly' }));
    });

    it('refuses TZ in the schedule of a new CronJob, and unknown time zones', async () => {
      await invalid(
        send('POST', CRONJOBS, cronJob('tz', { schedule: 'TZ=UTC */5 * * * *' })),
        'CronJob.batch "tz" is invalid: spec.schedule: Invalid value: "TZ=UTC */5 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      );
      await invalid(
        send('POST', CRONJOBS, cronJob('zone', { timeZone: 'Mars/Olympus' })),
        'CronJob.batch "zone" is invalid: spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
      );
      await invalid(
        send('POST', CRONJOBS, cronJob('local', { timeZone: 'Local' })),
        'CronJob.batch "local" is invalid: spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      );
      const ok = await created(CRONJOBS, cronJob('berlin', { timeZone: 'Europe/Berlin' }));
      assert.equal(ok.spec.timeZone, 'Europe/Berlin');
    });

    it('refuses long names, unknown policies, negative limits and a job template selector', async () => {
      const long = 'c'.repeat(53);
      await invalid(
        send('POST', CRONJOBS, cronJob(long)),
        `CronJob.batch "${long}" is invalid: metadata.name: Invalid value: "${long}": must be no more than 52 characters`,
      );
      await created(CRONJOBS, cronJob('c'.repeat(52)));
      await invalid(
        send(
          'POST',
          CRONJOBS,
          cronJob('policy', {
            concurrencyPolicy: 'Sometimes',
            successfulJobsHistoryLimit: -1,
            failedJobsHistoryLimit: -2,
            startingDeadlineSeconds: -3,
          }),
        ),
        'CronJob.batch "policy" is invalid: [spec.startingDeadlineSeconds: Invalid value: -3: must be greater than or equal to 0, spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace", spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0, spec.failedJobsHistoryLimit: Invalid value: -2: must be greater than or equal to 0]',
      );
      await invalid(
        send(
          'POST',
          CRONJOBS,
          cronJob('tmpl', {
            jobTemplate: {
              spec: { selector: { matchLabels: { a: 'b' } }, manualSelector: true, template: podTemplate() },
            },
          }),
        ),
        'CronJob.batch "tmpl" is invalid: [spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated, spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", "false"]',
      );
      await invalid(
        send(
          'POST',
          CRONJOBS,
          cronJob('always', { jobTemplate: { spec: { template: podTemplate({ restartPolicy: 'Always' }) } } }),
        ),
        'CronJob.batch "always" is invalid: spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
      );
    });

    it('bumps the generation on spec changes, keeps the status on main updates and the spec on /status', async () => {
      const cj = await created(CRONJOBS, cronJob('gen'));
      const upd = await send('PUT', `${CRONJOBS}/gen`, {
        ...cj,
        spec: { ...cj.spec, suspend: true },
        status: { lastScheduleTime: '2025-01-01T00:00:00Z' },
      });
      assert.equal(upd.code, 200, JSON.stringify(upd.json));
      assert.equal(upd.json.metadata.generation, 2);
      assert.deepEqual(upd.json.status, {});
      const st = await send('PUT', `${CRONJOBS}/gen/status`, {
        ...upd.json,
        spec: { ...upd.json.spec, schedule: '@daily' },
        status: { lastScheduleTime: '2025-01-01T00:00:00Z' },
      });
      assert.equal(st.code, 200, JSON.stringify(st.json));
      assert.deepEqual(st.json.status, { lastScheduleTime: '2025-01-01T00:00:00Z' });
      assert.equal(st.json.spec.schedule, '*/5 * * * *');
      assert.equal(st.json.metadata.generation, 2);
    });
  });

  describe('Table columns', () => {
    const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    /** A Job's row: its cells but AGE, which depends on the clock. */
    const row = async (name: string) => {
      const r = await send('GET', `${JOBS}/${name}`, undefined, TABLE);
      assert.equal(r.code, 200, JSON.stringify(r.json));
      assert.deepEqual(
        r.json.columnDefinitions.map((c: Json) => [c.name, c.priority]),
        [
          ['Name', 0],
          ['Status', 0],
          ['Completions', 0],
          ['Duration', 0],
          ['Age', 0],
          ['Containers', 1],
          ['Images', 1],
          ['Selector', 1],
        ],
      );
      const cells = r.json.rows[0].cells;
      return [...cells.slice(0, 4), ...cells.slice(5, 7)];
    };
    const setStatus = async (name: string, status: Json) => {
      const cur = (await send('GET', `${JOBS}/${name}`)).json;
      const r = await send('PUT', `${JOBS}/${name}/status`, { ...cur, status });
      assert.equal(r.code, 200, JSON.stringify(r.json));
    };

    it('prints STATUS, COMPLETIONS and DURATION as upstream computes them', async () => {
      await created(JOBS, job('table-queue', { parallelism: 3 }));
      assert.deepEqual(await row('table-queue'), ['table-queue', 'Running', '0/1 of 3', '', 'c', 'busybox']);
      await setStatus('table-queue', {
        startTime: '2025-01-01T00:00:00Z',
        completionTime: '2025-01-01T00:02:05Z',
        succeeded: 1,
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True' },
          { type: 'Complete', status: 'True' },
        ],
      });
      assert.deepEqual(await row('table-queue'), ['table-queue', 'Complete', '1/1 of 3', '2m5s', 'c', 'busybox']);
      await created(JOBS, job('table-suspended', { suspend: true, completions: 4, parallelism: 2 }));
      await setStatus('table-suspended', { conditions: [{ type: 'Suspended', status: 'True' }] });
      assert.deepEqual(await row('table-suspended'), ['table-suspended', 'Suspended', '0/4', '', 'c', 'busybox']);
      await created(JOBS, job('table-failing'));
      await setStatus('table-failing', {
        startTime: '2025-01-01T00:00:00Z',
        failed: 1,
        conditions: [{ type: 'FailureTarget', status: 'True' }],
      });
      const failing = await row('table-failing');
      assert.deepEqual(failing.slice(0, 3), ['table-failing', 'FailureTarget', '0/1']);
      // Still running: the duration runs to now.
      assert.match(failing[3], /^\d+d$|^\d+y\d*d?$/);
    });

    it('prints a CronJob with its time zone, SUSPEND and ACTIVE, and the selector as <none>', async () => {
      await created(CRONJOBS, cronJob('table-cj', { timeZone: 'Asia/Tokyo', suspend: true }));
      const r = await send('GET', `${CRONJOBS}/table-cj`, undefined, TABLE);
      assert.equal(r.code, 200, JSON.stringify(r.json));
      assert.deepEqual(
        r.json.columnDefinitions.map((c: Json) => [c.name, c.type, c.priority]),
        [
          ['Name', 'string', 0],
          ['Schedule', 'string', 0],
          ['Timezone', 'string', 0],
          ['Suspend', 'boolean', 0],
          ['Active', 'integer', 0],
          ['Last Schedule', 'string', 0],
          ['Age', 'string', 0],
          ['Containers', 'string', 1],
          ['Images', 'string', 1],
          ['Selector', 'string', 1],
        ],
      );
      const cells = r.json.rows[0].cells;
      assert.deepEqual(
        [...cells.slice(0, 6), ...cells.slice(7)],
        ['table-cj', '*/5 * * * *', 'Asia/Tokyo', 'True', 0, '<none>', 'c', 'busybox', '<none>'],
      );
    });
  });

  describe('kubectl', () => {
    const columns = (out: string) =>
      out
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s{2,}/));

    for (const minor of [33, 27]) {
      it(`kubectl 1.${minor} creates a job, a cronjob and a job from the cronjob, and lists them`, async () => {
        const bin = kubectlBinary(minor);
        const ns = `k${minor}`;
        assert.equal((await kubectl(fx, ['create', 'namespace', ns], bin)).status, 0);
        const j = await kubectl(fx, ['-n', ns, 'create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi'], bin);
        assert.equal(j.status, 0, j.err);
        assert.equal(j.out.trim(), 'job.batch/j created');
        const c = await kubectl(
          fx,
          ['-n', ns, 'create', 'cronjob', 'c', '--image=busybox', '--schedule=*/1 * * * *', '--', 'echo', 'hi'],
          bin,
        );
        assert.equal(c.status, 0, c.err);
        assert.equal(c.out.trim(), 'cronjob.batch/c created');
        const m = await kubectl(fx, ['-n', ns, 'create', 'job', '--from=cronjob/c', 'manual'], bin);
        assert.equal(m.status, 0, m.err);
        assert.equal(m.out.trim(), 'job.batch/manual created');

        const got = await kubectl(fx, ['-n', ns, 'get', 'job', 'manual', '-o', 'json'], bin);
        assert.equal(got.status, 0, got.err);
        const manual = JSON.parse(got.out);
        assert.equal(manual.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
        assert.equal(manual.metadata.ownerReferences[0].kind, 'CronJob');
        assert.deepEqual(manual.spec.template.spec.containers[0].command, ['echo', 'hi']);
        assert.equal(manual.spec.template.spec.restartPolicy, 'OnFailure');
        assert.equal(manual.spec.selector.matchLabels['batch.kubernetes.io/controller-uid'], manual.metadata.uid);

        const jobs = await kubectl(fx, ['-n', ns, 'get', 'jobs'], bin);
        assert.equal(jobs.status, 0, jobs.err);
        const rows = columns(jobs.out);
        assert.deepEqual(rows[0], ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
        assert.deepEqual(
          rows.slice(1).map((r) => r.slice(0, 3)),
          [
            ['j', 'Running', '0/1'],
            ['manual', 'Running', '0/1'],
          ],
        );
        const cjs = await kubectl(fx, ['-n', ns, 'get', 'cronjobs'], bin);
        assert.equal(cjs.status, 0, cjs.err);
        const crows = columns(cjs.out);
        assert.deepEqual(crows[0], ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
        assert.deepEqual(crows[1]?.slice(0, 6), ['c', '*/1 * * * *', '<none>', 'False', '0', '<none>']);
        const both = await kubectl(fx, ['-n', ns, 'get', 'jobs,cronjobs'], bin);
        assert.equal(both.status, 0, both.err);
        assert.match(both.out, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\njob\.batch\/j\s+Running\s+0\/1\s+/);
        assert.match(
          both.out,
          /\n\nNAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\ncronjob\.batch\/c\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+/,
        );
        const wide = await kubectl(fx, ['-n', ns, 'get', 'job', 'j', '-o', 'wide'], bin);
        assert.equal(wide.status, 0, wide.err);
        const wrows = columns(wide.out);
        assert.deepEqual(wrows[0], [
          'NAME',
          'STATUS',
          'COMPLETIONS',
          'DURATION',
          'AGE',
          'CONTAINERS',
          'IMAGES',
          'SELECTOR',
        ]);
        // DURATION is empty until the controller sets startTime: the row has one cell fewer here.
        assert.equal(wrows[1]?.length, 7);
        assert.deepEqual(wrows[1]?.slice(0, 3), ['j', 'Running', '0/1']);
        assert.deepEqual(wrows[1]?.slice(4, 6), ['j', 'busybox']);
        assert.match(wrows[1]?.[6] ?? '', /^batch\.kubernetes\.io\/controller-uid=[0-9a-f-]{36}$/);
        const explain = await kubectl(fx, ['explain', 'cronjob.spec.jobTemplate.spec.backoffLimit'], bin);
        assert.equal(explain.status, 0, explain.err);
        assert.match(explain.out, /FIELD: *backoffLimit <integer>/);
      });
    }
  });
});
