// kube-scheduler against a real apiserver (Node,RBAC; PKI made at run time), as
// system:kube-scheduler: pods bound to the only schedulable node with a Scheduled Event; a pod no
// node matches left Pending with upstream's FitError text in its condition and a FailedScheduling
// Event, then scheduled once a node is labelled; another scheduler's pods left alone; gated pods
// marked and held; the secure port's health for anyone, /metrics only for who may read it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Event, Lease, Node } from '@mkube/shared/api';
import { createClient, type KubeClient } from '@mkube/shared/client';
import { parseFlags } from '@mkube/shared/flags';
import { createLogger } from '@mkube/shared/log';
import { type Fixture, issueClient, startFixture, waitFor } from '../../apiserver/test/server/fixture.ts';
import { freePort } from '../../e2e/src/harness.ts';
import type { Pod } from '../src/api/index.ts';
import { loadSchedulerConfig, type RunningScheduler, SCHEDULER_FLAGS, startScheduler } from '../src/main.ts';

const PODS = { group: '', version: 'v1', resource: 'pods', namespace: 'default' } as const;
const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;
const EVENTS = { group: '', version: 'v1', resource: 'events', namespace: 'default' } as const;

function get(port: number, path: string, cert?: { crt: string; key: string }) {
  return new Promise<{ code: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        rejectUnauthorized: false,
        ...(cert ? { cert: readFileSync(cert.crt), key: readFileSync(cert.key) } : {}),
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const newNode = (name: string, o: Partial<Node['spec']> = {}): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  spec: o,
  status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110' }, capacity: { cpu: '4', memory: '8Gi', pods: '110' } },
});

const newPod = (name: string, spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: {
    containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
    ...spec,
  },
});

describe('kube-scheduler', () => {
  let fx: Fixture;
  let admin: KubeClient;
  let sched: RunningScheduler;
  let port: number;
  let reader: { crt: string; key: string };

  const pods = () => admin.resource<Pod>(PODS);
  const events = async (name: string) =>
    (await admin.resource<Event>(EVENTS).list({ fieldSelector: `involvedObject.name=${name}` })).items;
  const scheduledCondition = (p: Pod) => p.status?.conditions?.find((c) => c.type === 'PodScheduled');

  before(async () => {
    fx = await startFixture(['--authorization-mode=Node,RBAC']);
    admin = createClient({
      server: fx.url,
      caPem: readFileSync(fx.pki.caCrt, 'utf8'),
      clientCertPem: readFileSync(fx.pki.adminCrt, 'utf8'),
      clientKeyPem: readFileSync(fx.pki.adminKey, 'utf8'),
    });
    // The scheduler's own identity, with only the system:kube-scheduler role's rights.
    const identity = await issueClient(fx, 'system:kube-scheduler');
    reader = await issueClient(fx, 'metrics-reader');
    const rbac = (resource: string) => admin.resource({ group: 'rbac.authorization.k8s.io', version: 'v1', resource });
    await rbac('clusterroles').create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'metrics-reader' },
      rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
    } as never);
    await rbac('clusterrolebindings').create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'metrics-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'metrics-reader' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'metrics-reader' }],
    } as never);
    for (const n of [newNode('worker'), newNode('cordoned', { unschedulable: true })]) {
      // Admission taints a new Node not-ready; the node lifecycle controller lifts that once the
      // kubelet reports Ready. No kubelet or controller here: lift it as they would.
      const created = await admin.resource<Node>(NODES).create(n);
      await admin.resource<Node>(NODES).update({ ...created, spec: { ...created.spec, taints: [] } });
    }
    port = await freePort();
    const parsed = parseFlags(SCHEDULER_FLAGS, [
      `--kubeconfig=${identity.kubeconfig}`,
      `--secure-port=${port}`,
      '--bind-address=127.0.0.1',
      `--cert-dir=${join(fx.dir, 'scheduler-certs')}`,
      `--client-ca-file=${fx.pki.caCrt}`,
      `--authentication-kubeconfig=${identity.kubeconfig}`,
      `--authorization-kubeconfig=${identity.kubeconfig}`,
      '--leader-elect-lease-duration=3s',
      '--leader-elect-renew-deadline=2s',
      '--leader-elect-retry-period=500ms',
    ]);
    const config = await loadSchedulerConfig(parsed.flags, parsed.given);
    sched = await startScheduler(config, {
      log: createLogger({ name: 'kube-scheduler', destination: { write: () => undefined } as never }),
    });
  });

  after(async () => {
    await sched?.stop();
    await admin?.close();
    await fx?.close();
  });

  it('takes the kube-scheduler Lease', async () => {
    const lease = await waitFor('the lease', async () => {
      const l = await admin
        .resource<Lease>({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespace: 'kube-system' })
        .get('kube-scheduler')
        .catch(() => undefined);
      return l?.spec?.holderIdentity ? l : undefined;
    });
    assert.equal(lease.spec?.holderIdentity, sched.identity);
  });

  it('binds a pod to the only schedulable node and records Scheduled', async () => {
    await pods().create(newPod('web'));
    const bound = await waitFor('web bound', async () => {
      const p = await pods().get('web');
      return p.spec?.nodeName ? p : undefined;
    });
    assert.equal(bound.spec?.nodeName, 'worker');
    assert.equal(scheduledCondition(bound)?.status, 'True');
    const ev = await waitFor('the Scheduled event', async () =>
      (await events('web')).find((e) => e.reason === 'Scheduled'),
    );
    assert.equal(ev.type, 'Normal');
    assert.equal(ev.message, 'Successfully assigned default/web to worker');
    assert.equal(ev.source?.component, 'default-scheduler');
    assert.equal(ev.involvedObject.kind, 'Pod');
    assert.equal(ev.involvedObject.uid, bound.metadata.uid);
  });

  it('leaves a pod no node fits Pending with the FitError, and schedules it once a node matches', async () => {
    await pods().create(newPod('picky', { nodeSelector: { disk: 'ssd' } }));
    const msg =
      "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.";
    const pending = await waitFor('picky marked unschedulable', async () => {
      const p = await pods().get('picky');
      return scheduledCondition(p)?.reason ? p : undefined;
    });
    assert.equal(pending.status?.phase, 'Pending');
    assert.equal(pending.spec?.nodeName ?? '', '');
    const cond = scheduledCondition(pending)!;
    assert.deepEqual(
      { status: cond.status, reason: cond.reason, message: cond.message },
      { status: 'False', reason: 'Unschedulable', message: msg },
    );
    assert.ok(cond.lastTransitionTime);
    const ev = await waitFor('FailedScheduling', async () =>
      (await events('picky')).find((e) => e.reason === 'FailedScheduling'),
    );
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, msg);
    assert.equal(ev.source?.component, 'default-scheduler');

    const worker = await admin.resource<Node>(NODES).get('worker');
    await admin
      .resource<Node>(NODES)
      .update({ ...worker, metadata: { ...worker.metadata, labels: { ...worker.metadata.labels, disk: 'ssd' } } });
    const bound = await waitFor(
      'picky bound after the label',
      async () => {
        const p = await pods().get('picky');
        return p.spec?.nodeName ? p : undefined;
      },
      15_000,
    );
    assert.equal(bound.spec?.nodeName, 'worker');
    assert.equal(scheduledCondition(bound)?.status, 'True');
  });

  it("leaves another scheduler's pods alone", async () => {
    await pods().create(newPod('elsewhere', { schedulerName: 'other' }));
    await pods().create(newPod('marker'));
    await waitFor('marker bound', async () => ((await pods().get('marker')).spec?.nodeName ? true : undefined));
    const other = await pods().get('elsewhere');
    assert.equal(other.spec?.nodeName ?? '', '');
    assert.equal(scheduledCondition(other), undefined);
    assert.deepEqual(await events('elsewhere'), []);
  });

  it('holds a gated pod (the apiserver marks it SchedulingGated) until its last gate is removed', async () => {
    await pods().create(newPod('gated', { schedulingGates: [{ name: 'example.com/hold' }] }));
    const held = await waitFor('the SchedulingGated condition', async () => {
      const p = await pods().get('gated');
      return scheduledCondition(p)?.reason === 'SchedulingGated' ? p : undefined;
    });
    assert.deepEqual(
      { status: scheduledCondition(held)?.status, message: scheduledCondition(held)?.message },
      { status: 'False', message: 'Scheduling is blocked due to non-empty scheduling gates' },
    );
    assert.equal(sched.pending().gated, 1);
    await pods().create(newPod('after-gated'));
    await waitFor('after-gated bound', async () =>
      (await pods().get('after-gated')).spec?.nodeName ? true : undefined,
    );
    assert.equal((await pods().get('gated')).spec?.nodeName ?? '', '');
    assert.deepEqual(
      (await events('gated')).map((e) => e.reason),
      [],
      'a gated pod is never tried',
    );
    // Gates may only be removed; the pod is tried once the last one goes.
    await pods().patch('gated', 'application/json-patch+json', [{ op: 'remove', path: '/spec/schedulingGates' }]);
    await waitFor('gated bound', async () => ((await pods().get('gated')).spec?.nodeName ? true : undefined));
    assert.equal(sched.pending().gated, 0);
    assert.equal(scheduledCondition(await pods().get('gated'))?.status, 'True');
  });

  it('answers health to anyone and /metrics only to who may read it', async () => {
    for (const p of ['/healthz', '/livez', '/readyz']) assert.deepEqual(await get(port, p), { code: 200, body: 'ok' });
    // The self-signed serving pair is kept under the scheduler's own name.
    assert.ok(existsSync(join(fx.dir, 'scheduler-certs', 'kube-scheduler.crt')));
    assert.ok(existsSync(join(fx.dir, 'scheduler-certs', 'kube-scheduler.key')));
    const anon = await get(port, '/metrics');
    assert.equal(anon.code, 403);
    assert.equal(
      (JSON.parse(anon.body) as { message: string }).message,
      'forbidden: User "system:anonymous" cannot get path "/metrics"',
    );
    const m = await get(port, '/metrics', reader);
    assert.equal(m.code, 200, m.body);
    assert.match(
      m.body,
      /^scheduler_schedule_attempts_total\{profile="default-scheduler",result="scheduled"\} [4-9]$/m,
    );
    assert.match(
      m.body,
      /^scheduler_schedule_attempts_total\{profile="default-scheduler",result="unschedulable"\} [1-9]/m,
    );
    assert.match(m.body, /^scheduler_pending_pods\{queue="active"\} 0$/m);
    assert.match(m.body, /^scheduler_pending_pods\{queue="gated"\} 0$/m);
    assert.match(
      m.body,
      /^scheduler_scheduling_attempt_duration_seconds_bucket\{profile="default-scheduler",result="scheduled",le="\+Inf"\} [4-9]$/m,
    );
    assert.match(m.body, /^leader_election_master_status\{name="kube-scheduler"\} 1$/m);
  });
});
