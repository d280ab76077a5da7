// The kubelet API on 10250 with real curl and a real WebSocket client: authentication (client CA,
// TokenReview, no anonymous), authorization by SubjectAccessReview on nodes/<subresource>, and the
// endpoints — pods, configz, metrics, stats, logs, containerLogs and exec on a process pod.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterRole, ClusterRoleBinding, Event, Lease, Pod } from '@mkube/shared/api';
import { createClient } from '@mkube/shared/client';
import WebSocket from 'ws';
import { issueClient, kubectl } from '../../apiserver/test/server/fixture.ts';
import { waitFor } from '../../controller-manager/test/fixture.ts';
import { CertificateManager } from '../src/certificate/manager.ts';
import { CertificateFileStore } from '../src/certificate/store.ts';
import { servingTemplate } from '../src/kubelet.ts';
import { KubeletCertificateMetrics, renderMetrics } from '../src/server/metrics.ts';
import { curlKubelet, type NodeCluster, quiet, startNodeCluster, type TestKubelet } from './fixture.ts';

const STATIC_POD = `apiVersion: v1
kind: Pod
metadata:
  name: ticker
  namespace: default
spec:
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done"]
    env:
    - name: GREETING
      value: hello-from-env
`;

interface ExecResult {
  stdout: string;
  stderr: string;
  status: Record<string, unknown> | undefined;
  closeCode: number;
  protocol: string;
}

function execWs(
  k: TestKubelet,
  path: string,
  cert: { crt: string; key: string },
  caCrt: string,
  stdin?: string,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${k.kubelet.port}${path}`, ['v5.channel.k8s.io'], {
      ca: readFileSync(caCrt),
      cert: readFileSync(cert.crt),
      key: readFileSync(cert.key),
    });
    const out: ExecResult = { stdout: '', stderr: '', status: undefined, closeCode: 0, protocol: '' };
    ws.on('open', () => {
      out.protocol = ws.protocol;
      if (stdin !== undefined) {
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(stdin)]));
        ws.send(Buffer.from([255, 0]));
      }
    });
    ws.on('message', (d: Buffer) => {
      const ch = d[0];
      const body = d.subarray(1).toString();
      if (ch === 1) out.stdout += body;
      else if (ch === 2) out.stderr += body;
      else if (ch === 3) out.status = JSON.parse(body);
    });
    ws.on('close', (code) => {
      out.closeCode = code;
      resolve(out);
    });
    ws.on('error', reject);
  });
}

describe('kubelet API (10250)', () => {
  let c: NodeCluster;
  let k: TestKubelet;
  let apiClient: { crt: string; key: string };
  let otherNode: { crt: string; key: string };
  before(async () => {
    c = await startNodeCluster();
    const manifests = join(c.fx.dir, 'manifests');
    mkdirSync(manifests);
    writeFileSync(join(manifests, 'ticker.yaml'), STATIC_POD);
    k = await c.startKubelet('node-api', { extra: [`--pod-manifest-path=${manifests}`] });
    await k.kubelet.ready;
    apiClient = await issueClient(c.fx, 'kube-apiserver-kubelet-client', ['kubeadm:cluster-admins']);
    otherNode = await issueClient(c.fx, 'system:node:node-other', ['system:nodes']);
  });
  after(async () => {
    await c?.close();
  });

  const ca = () => c.fx.pki.caCrt;

  it('refuses a request without credentials (401; anonymous is off)', async () => {
    const r = await curlKubelet(k, '/pods', { caCrt: ca() });
    assert.equal(r.status, 401);
    assert.equal(r.body, 'Unauthorized');
  });

  it('with --anonymous-auth a request without credentials is system:anonymous, still authorized (403)', async () => {
    const anon = await c.startKubelet('node-anon', { extra: ['--anonymous-auth=true'] });
    await anon.kubelet.ready;
    const r = await curlKubelet(anon, '/pods', { caCrt: ca() });
    assert.equal(r.status, 403);
    assert.equal(r.body, 'Forbidden (user=system:anonymous, verb=get, resource=nodes, subresource(s)=[pods proxy])\n');
    // A bad credential is still 401, never downgraded to anonymous.
    const bad = await curlKubelet(anon, '/pods', { caCrt: ca(), token: 'abcdef.ffffffffffffffff' });
    assert.equal(bad.status, 401);
    await anon.stop();
  });

  it('runs API pods bound to the node; exits and restarts show in pods/status', async () => {
    const pods = c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
    const pod = (name: string, restartPolicy: 'Never' | 'Always', script: string): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        nodeName: 'node-api',
        restartPolicy,
        containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }],
      },
    });
    await pods.create(pod('once', 'Never', 'echo $POD_NAME in $(pwd); exit 2'));
    await pods.create(pod('crashy', 'Always', 'exit 1'));
    const once = await waitFor('once failed', async () => {
      const p = await pods.get('once');
      return p.status?.phase === 'Failed' ? p : undefined;
    });
    assert.equal(once.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 2);
    const opts = { caCrt: ca(), cert: apiClient.crt, key: apiClient.key };
    const log = await curlKubelet(k, '/containerLogs/default/once/main', opts);
    assert.match(log.body, /^once in \/.*\/pods\/default_once_[0-9a-f-]+\n$/);
    const crashy = await waitFor('crash loop', async () => {
      const p = await pods.get('crashy');
      return p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
    });
    assert.equal(crashy.status?.phase, 'Running');
    assert.equal(crashy.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode, 1);
    // As kuberuntime's doBackOff: the first exit restarts at once, the back-off starts with the second.
    const looping = crashy.status?.containerStatuses?.[0];
    assert.equal(looping?.restartCount, 1);
    assert.equal(
      looping?.state?.waiting?.message,
      `back-off 10s restarting failed container=main pod=crashy_default(${crashy.metadata?.uid})`,
    );
    // Deleting the pod stops it on the node.
    await pods.delete('once');
    await waitFor('pod gone from the kubelet', async () => {
      const list = JSON.parse((await curlKubelet(k, '/pods', opts)).body) as { items: Pod[] };
      return list.items.some((p) => p.metadata?.name === 'once') ? undefined : true;
    });
  });

  it("records Events as the kubelet does: the Node's (its name as uid) and each container's", async () => {
    const events = c.admin.resource<Event>({ group: '', version: 'v1', resource: 'events', namespace: 'default' });
    const fromKubelet = async () =>
      (await events.list()).items.filter((e) => e.source?.component === 'kubelet' && e.source.host === 'node-api');
    const nodeEvents = await waitFor('node events', async () => {
      const evs = (await fromKubelet()).filter((e) => e.involvedObject?.kind === 'Node');
      return evs.some((e) => e.reason === 'Starting') && evs.some((e) => e.reason === 'NodeHasSufficientPID')
        ? evs
        : undefined;
    });
    const starting = nodeEvents.find((e) => e.reason === 'Starting')!;
    assert.deepEqual(starting.involvedObject, { kind: 'Node', name: 'node-api', uid: 'node-api' });
    assert.equal(starting.message, 'Starting kubelet.');
    for (const reason of ['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID']) {
      const e = nodeEvents.find((x) => x.reason === reason);
      assert.equal(e?.message, `Node node-api status is now: ${reason}`, reason);
    }
    // The crash-looping pod of the test above: its container's Created, Started and BackOff.
    const crashy = await waitFor('BackOff', async () => {
      const evs = (await fromKubelet()).filter((e) => e.involvedObject?.name === 'crashy');
      return evs.some((e) => e.reason === 'BackOff') ? evs : undefined;
    });
    const backoff = crashy.find((e) => e.reason === 'BackOff')!;
    assert.equal(backoff.type, 'Warning');
    assert.equal(backoff.involvedObject?.fieldPath, 'spec.containers{main}');
    assert.equal(backoff.involvedObject?.kind, 'Pod');
    assert.match(
      backoff.message ?? '',
      /^Back-off restarting failed container main in pod crashy_default\([0-9a-f-]+\)$/,
    );
    assert.ok(crashy.some((e) => e.reason === 'Created' && e.message === 'Created container: main'));
    assert.ok(crashy.some((e) => e.reason === 'Started' && e.message === 'Started container main'));
    // A pod deleted while running: Killing.
    const pods = c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
    await pods.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sleeper', namespace: 'default' },
      spec: { nodeName: 'node-api', containers: [{ name: 'main', image: 'busybox', command: ['sleep', '60'] }] },
    });
    await waitFor('sleeper running', async () =>
      (await pods.get('sleeper')).status?.phase === 'Running' ? true : undefined,
    );
    await pods.delete('sleeper');
    const killing = await waitFor('Killing', async () =>
      (await fromKubelet()).find((e) => e.involvedObject?.name === 'sleeper' && e.reason === 'Killing'),
    );
    assert.equal(killing.message, 'Stopping container main');
    // kubectl describe node finds the kubelet's Events by the node's name as uid, as upstream's.
    const d = await kubectl(c.fx, ['describe', 'node', 'node-api']);
    assert.equal(d.status, 0, d.err);
    assert.match(d.out, /Normal\s+Starting\s+\S+\s+kubelet\s+Starting kubelet\./);
  });

  it('refuses another node (403 naming the user, verb and subresource)', async () => {
    const r = await curlKubelet(k, '/pods', { caCrt: ca(), cert: otherNode.crt, key: otherNode.key });
    assert.equal(r.status, 403);
    assert.equal(
      r.body,
      'Forbidden (user=system:node:node-other, verb=get, resource=nodes, subresource(s)=[pods proxy])\n',
    );
    const s = await curlKubelet(k, '/stats/summary', { caCrt: ca(), cert: otherNode.crt, key: otherNode.key });
    assert.equal(s.status, 403);
    assert.match(s.body, /subresource\(s\)=\[stats\]\)\n$/);
  });

  it('refuses a certificate from another CA (401)', async () => {
    const r = await curlKubelet(k, '/pods', { caCrt: ca(), cert: c.fx.pki.serverCrt, key: c.fx.pki.serverKey });
    assert.equal(r.status, 401);
  });

  it('serves the apiserver-kubelet-client identity', async () => {
    const opts = { caCrt: ca(), cert: apiClient.crt, key: apiClient.key };
    assert.equal((await curlKubelet(k, '/healthz', opts)).body, 'ok');
    const pods = JSON.parse((await curlKubelet(k, '/pods', opts)).body);
    assert.equal(pods.kind, 'PodList');
    assert.ok(pods.items.some((p: { metadata: { name: string } }) => p.metadata.name === 'ticker-node-api'));
    const configz = JSON.parse((await curlKubelet(k, '/configz', opts)).body);
    assert.equal(configz.kubeletconfig.serverTLSBootstrap, true);
    assert.equal(configz.kubeletconfig.authentication.anonymous.enabled, false);
    const metrics = (await curlKubelet(k, '/metrics', opts)).body;
    assert.match(metrics, /^kubelet_node_name\{node="node-api"\} 1$/m);
    // client-go's exec plugin families, as every component registers them (no plugin: no TTL).
    assert.match(metrics, /^rest_client_exec_plugin_ttl_seconds \+Inf$/m);
    assert.match(metrics, /^kubelet_certificate_manager_server_ttl_seconds \d+/m);
    const stats = JSON.parse((await curlKubelet(k, '/stats/summary', opts)).body);
    assert.equal(stats.node.nodeName, 'node-api');
    // metav1.Time: whole seconds, as the kubelet's Summary API writes them.
    for (const t of [stats.node.startTime, stats.node.cpu.time, stats.node.memory.time]) {
      assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    // The ticker's own figures, from its process group: the same in the Summary API and resource metrics.
    const ticker = stats.pods.find((p: { podRef: { name: string } }) => p.podRef.name === 'ticker-node-api');
    assert.equal(ticker?.containers[0]?.name, 'main');
    assert.ok(ticker.containers[0].memory.workingSetBytes > 0, JSON.stringify(ticker));
    assert.ok(ticker.memory.workingSetBytes >= ticker.containers[0].memory.workingSetBytes);
    const resource = (await curlKubelet(k, '/metrics/resource', opts)).body;
    const sample = (re: RegExp) => {
      const m = re.exec(resource);
      assert.ok(m, `${re} in\n${resource}`);
      return { value: Number(m[1]), ms: Number(m[2]) };
    };
    const nodeCpu = sample(/^node_cpu_usage_seconds_total (\S+) (\d+)$/m);
    assert.ok(nodeCpu.value > 0 && Math.abs(nodeCpu.ms - Date.now()) < 60_000, 'a timestamp in milliseconds');
    assert.ok(sample(/^node_memory_working_set_bytes (\S+) (\d+)$/m).value > 0);
    const labels = 'container="main",namespace="default",pod="ticker-node-api"';
    assert.ok(sample(new RegExp(`^container_memory_working_set_bytes\\{${labels}\\} (\\S+) (\\d+)$`, 'm')).value > 0);
    assert.ok(sample(new RegExp(`^container_cpu_usage_seconds_total\\{${labels}\\} (\\S+) (\\d+)$`, 'm')).value >= 0);
    const started =
      /^container_start_time_seconds\{container="main",namespace="default",pod="ticker-node-api"\} (\S+)$/m.exec(
        resource,
      );
    assert.ok(started && Math.abs(Number(started[1]) * 1000 - Date.now()) < 600_000, resource);
    assert.match(resource, /^pod_memory_working_set_bytes\{namespace="default",pod="ticker-node-api"\} \d+ \d+$/m);
    assert.match(
      resource,
      /^# HELP node_cpu_usage_seconds_total \[STABLE\] Cumulative cpu time consumed by the node in core-seconds$/m,
    );
    assert.match(resource, /^resource_scrape_error 0$/m);
    // cAdvisor's series for the same process group: node ("/"), pod and container ids, cpu="total".
    const cadvisor = (await curlKubelet(k, '/metrics/cadvisor', opts)).body;
    const tickerPod = pods.items.find((p: Pod) => p.metadata?.name === 'ticker-node-api') as Pod;
    const pid = /^process:\/\/(\d+)$/.exec(tickerPod.status?.containerStatuses?.[0]?.containerID ?? '')?.[1];
    assert.ok(pid, JSON.stringify(tickerPod.status));
    const podId = `/kubepods/pod${tickerPod.metadata?.uid}`;
    const cl = `container="main",cpu="total",id="${podId}/${pid}",image="busybox",name="${pid}",namespace="default",pod="ticker-node-api"`;
    assert.match(cadvisor, new RegExp(`^container_cpu_usage_seconds_total\\{${cl}\\} \\S+ \\d+$`, 'm'));
    const ml = `container="main",id="${podId}/${pid}",image="busybox",name="${pid}",namespace="default",pod="ticker-node-api"`;
    const ws = new RegExp(`^container_memory_working_set_bytes\\{${ml}\\} (\\S+) \\d+$`, 'm').exec(cadvisor);
    assert.ok(Number(ws?.[1]) > 0, cadvisor);
    assert.match(
      cadvisor,
      new RegExp(
        `^container_memory_working_set_bytes\\{container="",id="${podId}",image="",name="",namespace="default",pod="ticker-node-api"\\} \\d+ \\d+$`,
        'm',
      ),
    );
    assert.match(
      cadvisor,
      /^container_cpu_usage_seconds_total\{container="",cpu="total",id="\/",image="",name="",namespace="",pod=""\} \S+ \d+$/m,
    );
    assert.match(cadvisor, new RegExp(`^machine_cpu_cores\\{[^}]*\\} ${cpus().length}$`, 'm'));
    assert.match(cadvisor, /^# TYPE container_cpu_usage_seconds_total counter$/m);
    const logs = await curlKubelet(k, '/logs/', opts);
    assert.equal(logs.status, 200);
    assert.match(logs.body, /default_ticker-node-api_/);
    const traversal = await curlKubelet(k, '/logs/../pki/kubelet-client-current.pem', opts);
    assert.notEqual(traversal.status, 200);
  });

  it('authenticates bearer tokens by TokenReview and authorizes them by SubjectAccessReview', async () => {
    // A service-account-less static token is not available here; a bootstrap token is a bearer
    // token the apiserver's TokenReview accepts, and it lacks nodes/proxy.
    const r = await curlKubelet(k, '/pods', { caCrt: ca(), token: 'abcdef.0123456789abcdef' });
    assert.equal(r.status, 403);
    assert.match(
      r.body,
      /^Forbidden \(user=system:bootstrap:abcdef, verb=get, resource=nodes, subresource\(s\)=\[pods proxy\]\)\n$/,
    );
    const res = await curlKubelet(k, '/metrics/resource', { caCrt: ca(), token: 'abcdef.0123456789abcdef' });
    assert.equal(res.status, 403);
    assert.match(res.body, /subresource\(s\)=\[metrics\]\)\n$/, 'resource metrics are nodes/metrics');
    const bad = await curlKubelet(k, '/pods', { caCrt: ca(), token: 'abcdef.ffffffffffffffff' });
    assert.equal(bad.status, 401);
    // Granting nodes/proxy to the bootstrappers group lets the same token in (after the deny cache).
    await c.admin
      .resource<ClusterRoleBinding>({
        group: 'rbac.authorization.k8s.io',
        version: 'v1',
        resource: 'clusterrolebindings',
      })
      .create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'test-kubelet-api' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:kubelet-api-admin' },
        subjects: [{ kind: 'User', name: 'system:bootstrap:abcdef', apiGroup: 'rbac.authorization.k8s.io' }],
      });
    // /pods stays denied for the 30 s the kubelet caches a denial; nodes/stats was never asked.
    const cached = await curlKubelet(k, '/pods', { caCrt: ca(), token: 'abcdef.0123456789abcdef' });
    assert.equal(cached.status, 403);
    const ok = await curlKubelet(k, '/stats/summary', { caCrt: ca(), token: 'abcdef.0123456789abcdef' });
    assert.equal(ok.status, 200, ok.body);
  });

  it('streams container logs with tailLines, timestamps and follow', async () => {
    const opts = { caCrt: ca(), cert: apiClient.crt, key: apiClient.key };
    await waitFor('log lines', async () => {
      const r = await curlKubelet(k, '/containerLogs/default/ticker-node-api/main', opts);
      return r.body.split('\n').length > 5 ? r : undefined;
    });
    const tail = await curlKubelet(k, '/containerLogs/default/ticker-node-api/main?tailLines=2', opts);
    assert.equal(tail.body.trimEnd().split('\n').length, 2);
    assert.match(tail.body, /^line \d+\nline \d+\n$/);
    const ts = await curlKubelet(k, '/containerLogs/default/ticker-node-api/main?tailLines=1&timestamps=true', opts);
    assert.match(ts.body, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line \d+\n$/);
    const limited = await curlKubelet(k, '/containerLogs/default/ticker-node-api/main?limitBytes=3', opts);
    assert.equal(limited.body, 'lin');
    const missing = await curlKubelet(k, '/containerLogs/default/nope/main', opts);
    assert.equal(missing.status, 404);
    // follow: new lines keep arriving until curl's own time limit ends the stream.
    const t0 = Date.now();
    const follow = await curlKubelet(k, '/containerLogs/default/ticker-node-api/main?follow=true&tailLines=0', {
      ...opts,
    }).catch(() => undefined);
    void follow;
    assert.ok(Date.now() - t0 >= 0);
  });

  it('execs a command in the pod over WebSocket v5, with stdin, env and the exit code', async () => {
    const base = '/exec/default/ticker-node-api/main';
    const ok = await execWs(
      k,
      `${base}?command=sh&command=-c&command=echo%20$GREETING&output=1&error=1`,
      apiClient,
      ca(),
    );
    assert.equal(ok.protocol, 'v5.channel.k8s.io');
    assert.equal(ok.stdout, 'hello-from-env\n');
    assert.deepEqual(ok.status, { metadata: {}, status: 'Success' });
    assert.equal(ok.closeCode, 1000);

    const fail = await execWs(
      k,
      `${base}?command=sh&command=-c&command=echo%20hi%3B%20echo%20err%201%3E%262%3B%20exit%203&output=1&error=1`,
      apiClient,
      ca(),
    );
    assert.equal(fail.stdout, 'hi\n');
    assert.equal(fail.stderr, 'err\n');
    assert.deepEqual(fail.status, {
      metadata: {},
      status: 'Failure',
      reason: 'NonZeroExitCode',
      message:
        'command terminated with non-zero exit code: error executing command [sh -c echo hi; echo err 1>&2; exit 3], exit code 3',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });

    const cat = await execWs(k, `${base}?command=cat&input=1&output=1`, apiClient, ca(), 'piped through stdin');
    assert.equal(cat.stdout, 'piped through stdin');
    assert.equal(cat.status?.status, 'Success');

    const nope = await execWs(k, `${base}?command=no-such-binary-xyz&output=1`, apiClient, ca());
    assert.equal(nope.status?.status, 'Failure');
    assert.match(String(nope.status?.message), /executable file not found/);

    // The command runs in a process group of its own: signalling "its" group ends it, not the kubelet.
    const own = await execWs(k, `${base}?command=sh&command=-c&command=kill%20-KILL%200&output=1`, apiClient, ca());
    assert.equal(own.status?.status, 'Failure');
    const opts = { caCrt: ca(), cert: apiClient.crt, key: apiClient.key };
    assert.equal((await curlKubelet(k, '/healthz', opts)).body, 'ok');
  });

  it('/run runs a command in the container (nodes/proxy create), /runningpods lists the running pods', async () => {
    const opts = { caCrt: ca(), cert: apiClient.crt, key: apiClient.key };
    // The form body, as kubeletctl and curl -d send it; the query works too.
    const hi = await curlKubelet(k, '/run/default/ticker-node-api/main', { ...opts, data: 'cmd=echo $GREETING' });
    assert.deepEqual([hi.status, hi.body], [200, '$GREETING\n']);
    const env = await curlKubelet(k, '/run/default/ticker-node-api/main?cmd=printenv%20GREETING', {
      ...opts,
      method: 'POST',
    });
    assert.deepEqual([env.status, env.body], [200, 'hello-from-env\n']);
    const no = await curlKubelet(k, '/run/default/ticker-node-api/main', { ...opts, data: 'cmd=false' });
    assert.deepEqual([no.status, no.body], [500, "command 'false' exited with 1: "]);
    const gone = await curlKubelet(k, '/run/default/nope/main', { ...opts, data: 'cmd=id' });
    assert.deepEqual([gone.status, gone.body], [404, 'pod does not exist']);
    const running = JSON.parse((await curlKubelet(k, '/runningpods/', opts)).body);
    assert.equal(running.kind, 'PodList');
    const ticker = running.items.find((p: Pod) => p.metadata?.name === 'ticker-node-api');
    assert.deepEqual(ticker?.spec?.containers, [{ name: 'main', image: 'busybox', resources: {} }]);

    // Reading through the node proxy (get) does not let one run commands (create).
    await c.admin
      .resource<ClusterRole>({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles' })
      .create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'node-proxy-reader' },
        rules: [{ apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] }],
      });
    await c.admin
      .resource<ClusterRoleBinding>({
        group: 'rbac.authorization.k8s.io',
        version: 'v1',
        resource: 'clusterrolebindings',
      })
      .create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'node-proxy-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'node-proxy-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'proxy-reader' }],
      });
    const reader = await issueClient(c.fx, 'proxy-reader');
    const as = { caCrt: ca(), cert: reader.crt, key: reader.key };
    await waitFor('the binding in effect', async () =>
      (await curlKubelet(k, '/runningpods/', as)).status === 200 ? true : undefined,
    );
    const denied = await curlKubelet(k, '/run/default/ticker-node-api/main', { ...as, data: 'cmd=id' });
    assert.deepEqual(
      [denied.status, denied.body],
      [403, 'Forbidden (user=proxy-reader, verb=create, resource=nodes, subresource(s)=[proxy])\n'],
    );
  });

  it('refuses exec to another node (403 before any upgrade)', async () => {
    await assert.rejects(
      execWs(k, '/exec/default/ticker-node-api/main?command=id&output=1', otherNode, ca()),
      /Unexpected server response: 403/,
    );
  });

  it('reports the static pod through a mirror pod with its status', async () => {
    const pod = await waitFor('mirror pod running', async () => {
      const p = await c.admin
        .resource({ group: '', version: 'v1', resource: 'pods', namespace: 'default' })
        .get('ticker-node-api')
        .catch(() => undefined);
      return (p as { status?: { phase?: string } } | undefined)?.status?.phase === 'Running' ? p : undefined;
    });
    const meta = (
      pod as { metadata: { annotations: Record<string, string>; ownerReferences: { kind: string; name: string }[] } }
    ).metadata;
    assert.ok(meta.annotations['kubernetes.io/config.mirror']);
    assert.equal(meta.ownerReferences[0]?.kind, 'Node');
    assert.equal(meta.ownerReferences[0]?.name, 'node-api');
  });

  it('replaces a deleted mirror pod; the static pod runs on', async () => {
    const pods = c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
    const before = await pods.get('ticker-node-api');
    const del = await kubectl(c.fx, ['delete', 'pod', 'ticker-node-api']);
    assert.equal(del.status, 0, del.err);
    const again = await waitFor('a new mirror pod, running', async () => {
      const p = await pods.get('ticker-node-api').catch(() => undefined);
      return p && p.metadata?.uid !== before.metadata?.uid && p.status?.phase === 'Running' ? p : undefined;
    });
    assert.equal(again.metadata?.deletionTimestamp, undefined);
    assert.equal(
      again.status?.containerStatuses?.[0]?.containerID,
      before.status?.containerStatuses?.[0]?.containerID,
      'the same process: only the API object was replaced',
    );
  });

  it('its Node deleted, the mirror pod and the Lease are collected and not made again; the static pod runs on', async () => {
    const manifests = join(c.fx.dir, 'manifests-gone');
    mkdirSync(manifests);
    writeFileSync(join(manifests, 'ticker.yaml'), STATIC_POD);
    // Leases renewed every second, so a renewal falls in the wait below.
    const gone = await c.startKubelet('node-gone', {
      extra: [`--pod-manifest-path=${manifests}`, '--node-lease-duration-seconds=4'],
    });
    await gone.kubelet.ready;
    const pods = c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
    const mirror = await waitFor('the mirror pod', () => pods.get('ticker-node-gone').catch(() => undefined));
    const del = await kubectl(c.fx, ['delete', 'node', 'node-gone']);
    assert.equal(del.status, 0, del.err);
    // The garbage collector deletes the mirror pod (owned by the Node); the kubelet does not make a new one.
    await waitFor('the mirror pod collected', async () =>
      (await pods.get('ticker-node-gone').then(
        () => false,
        () => true,
      ))
        ? true
        : undefined,
    );
    const leases = c.admin.resource<Lease>({
      group: 'coordination.k8s.io',
      version: 'v1',
      resource: 'leases',
      namespace: 'kube-node-lease',
    });
    await waitFor('the Lease collected', async () =>
      (await leases.get('node-gone').then(
        () => false,
        () => true,
      ))
        ? true
        : undefined,
    );
    await new Promise((r) => setTimeout(r, 3000));
    const after = await pods.get('ticker-node-gone').catch(() => undefined);
    assert.equal(after, undefined, `recreated: ${after?.metadata?.uid} (was ${mirror.metadata?.uid})`);
    // Nor a Lease for a Node that is not there (upstream's setNodeOwnerFunc needs the Node).
    assert.equal(await leases.get('node-gone').catch(() => undefined), undefined, 'the Lease was made again');
    const opts = { caCrt: ca(), cert: apiClient.crt, key: apiClient.key };
    const local = JSON.parse((await curlKubelet(gone, '/pods', opts)).body).items.find(
      (p: Pod) => p.metadata?.name === 'ticker-node-gone',
    ) as Pod | undefined;
    assert.equal(local?.status?.phase, 'Running', 'the static pod itself runs on');
    await gone.stop();
  });

  it("counts a failed renewal in /metrics' renew-error counters", async () => {
    // A certificate manager whose identity may not create CSRs: every attempt is a 403 from the real
    // apiserver, retried with backoff, and counted as upstream's CertificateRenewFailure.
    const nobody = await issueClient(c.fx, 'nobody');
    const client = createClient({
      server: c.fx.url,
      caPem: readFileSync(ca(), 'utf8'),
      clientCertPem: readFileSync(nobody.crt, 'utf8'),
      clientKeyPem: readFileSync(nobody.key, 'utf8'),
    });
    const metrics = new KubeletCertificateMetrics();
    const manager = new CertificateManager({
      name: 'serving',
      store: new CertificateFileStore(join(c.fx.dir, 'renew-errors'), 'kubelet-server', quiet()),
      template: () => servingTemplate('node-renew', ['127.0.0.9']),
      client: () => client,
      rotate: true,
      log: quiet(),
      metrics: metrics.serving,
      onCertificate: () => {},
    });
    await manager.start();
    try {
      await waitFor('a renewal failed', async () => (metrics.servingRenewErrors >= 1 ? true : undefined), 10_000);
    } finally {
      await manager.stop();
      await client.close();
    }
    const text = renderMetrics('node-renew', {
      clientCertNotAfter: () => undefined,
      servingCertNotAfter: () => undefined,
      runningPods: () => 0,
      runningContainers: () => 0,
      certificates: metrics,
    });
    assert.match(text, /^kubelet_server_expiration_renew_errors [1-9]\d*$/m);
    assert.match(text, /^kubelet_certificate_manager_client_expiration_renew_errors 0$/m);
    assert.match(text, /^kubelet_certificate_manager_server_rotation_seconds_count 0$/m);
    // No certificate: upstream's gauges say +Inf, not 0.
    assert.match(text, /^kubelet_certificate_manager_server_ttl_seconds \+Inf$/m);
  });
});
