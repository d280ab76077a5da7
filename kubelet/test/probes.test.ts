// Container probes: each handler against real servers and processes (exec, httpGet with redirects,
// tcpSocket, gRPC health through @grpc/grpc-js), then a real kubelet probing real pods — readiness
// gating Ready, a failed liveness or startup probe killing the container, a startup probe holding
// the others back — and the runs counted on /metrics/probes, directly and through the apiserver.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { Container, Pod } from '@mkube/shared/api';
import { issueClient, kubectl } from '../../apiserver/test/server/fixture.ts';
import { waitFor } from '../../controller-manager/test/fixture.ts';
import { runProbe } from '../src/runtime/prober.ts';
import { ProbeMetrics } from '../src/server/probemetrics.ts';
import { curlKubelet, type NodeCluster, podEvent, podEvents, startNodeCluster, type TestKubelet } from './fixture.ts';

const GRPC_JS = createRequire(import.meta.url).resolve('@grpc/grpc-js');

/** A container running a node script (the process runtime runs commands, not images). */
function nodeContainer(name: string, script: string, extra: Partial<Container> = {}): Container {
  return { name, image: 'node', command: [process.execPath, '-e', script], ...extra };
}

/**
 * A gRPC server with grpc.health.v1.Health/Check (grpc-js, hand-encoded messages): "" and "up"
 * are SERVING, "down" NOT_SERVING, anything else NOT_FOUND, as grpc-go's health server answers.
 */
const GRPC_HEALTH = `
const grpc = require(process.env.GRPC_JS);
const server = new grpc.Server();
// An object, not a bare string: grpc-js takes a falsy request for a missing one.
const decode = (b) => ({ service: b.length > 2 && b[0] === 0x0a ? b.subarray(2, 2 + b[1]).toString() : '' });
server.addService({ Check: { path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false,
  requestSerialize: (x) => x, requestDeserialize: decode,
  responseSerialize: (s) => Buffer.from([0x08, s]), responseDeserialize: (b) => b } },
  { Check: (call, cb) => {
    const s = call.request.service;
    if (s === '' || s === 'up') return cb(null, 1);
    if (s === 'down') return cb(null, 2);
    cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
  } });
server.bindAsync('127.0.0.1:' + process.env.PORT, grpc.ServerCredentials.createInsecure(), (e) => { if (e) throw e; });
`;

/** A port nobody listens on (bound, then released). */
async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const target = (c: Partial<Container> = {}) => ({
  container: { name: 'c', ...c },
  podIP: '127.0.0.1',
  cwd: tmpdir(),
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
});

describe('probe handlers', () => {
  let http: Server;
  let port = 0;
  before(async () => {
    http = createHttpServer((req, res) => {
      if (req.url === '/hop') return res.writeHead(302, { location: '/ok' }).end();
      if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
      if (req.url === '/away') return res.writeHead(301, { location: 'http://192.0.2.1/elsewhere' }).end('moved');
      if (req.url === '/agent') return res.writeHead(200).end(`${req.headers['user-agent']} ${req.headers['x-probe']}`);
      if (req.url === '/slow') return setTimeout(() => res.writeHead(200).end(), 3_000);
      res.writeHead(req.url === '/ok' ? 200 : 503).end(req.url === '/ok' ? 'fine' : 'not yet');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    port = (http.address() as { port: number }).port;
  });
  after(() => {
    http.closeAllConnections();
    http.close();
  });

  it('httpGet: 2xx succeeds, 5xx fails with the status, same-host redirects are followed, a foreign one warns', async () => {
    assert.deepEqual(await runProbe({ httpGet: { port, path: '/ok' } }, target()), {
      result: 'success',
      output: 'fine',
      statusCode: 200,
    });
    assert.deepEqual(await runProbe({ httpGet: { port, path: '/nope' } }, target()), {
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 503',
      statusCode: 503,
    });
    assert.equal((await runProbe({ httpGet: { port, path: '/hop' } }, target())).result, 'success');
    assert.deepEqual(await runProbe({ httpGet: { port, path: '/away' } }, target()), {
      result: 'warning',
      output: 'Probe terminated redirects, Response body: moved',
      statusCode: 301,
    });
    assert.deepEqual(await runProbe({ httpGet: { port, path: '/loop' } }, target()), {
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/loop": stopped after 10 redirects`,
    });
    // A named port, upstream's User-Agent, and the probe's own headers.
    const named = target({ ports: [{ name: 'web', containerPort: port }] });
    assert.deepEqual(
      await runProbe(
        { httpGet: { port: 'web', path: 'agent', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } },
        named,
      ),
      { result: 'success', output: 'kube-probe/1.33 yes', statusCode: 200 },
    );
    await assert.rejects(runProbe({ httpGet: { port: 'nope' } }, named), /couldn't find port: nope in c/);
    const slow = await runProbe({ httpGet: { port, path: '/slow' }, timeoutSeconds: 1 }, target());
    assert.deepEqual(slow, {
      result: 'failure',
      output: `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
    const closed = await freePort();
    assert.deepEqual(await runProbe({ httpGet: { port: closed, path: '/x' } }, target()), {
      result: 'failure',
      output: `Get "http://127.0.0.1:${closed}/x": dial tcp 127.0.0.1:${closed}: connect: connection refused`,
    });
  });

  it('tcpSocket: a connection is success; a refused one fails with the dial error', async () => {
    assert.equal((await runProbe({ tcpSocket: { port } }, target())).result, 'success');
    const closed = await freePort();
    assert.deepEqual(await runProbe({ tcpSocket: { port: closed } }, target()), {
      result: 'failure',
      output: `dial tcp 127.0.0.1:${closed}: connect: connection refused`,
    });
  });

  it('exec: exit 0 succeeds, otherwise the output is the message; a timeout kills the command', async () => {
    assert.deepEqual(await runProbe({ exec: { command: ['sh', '-c', 'echo fine'] } }, target()), {
      result: 'success',
      output: 'fine\n',
      exitCode: 0,
    });
    assert.deepEqual(await runProbe({ exec: { command: ['sh', '-c', 'echo sick >&2; exit 3'] } }, target()), {
      result: 'failure',
      output: 'sick\n',
      exitCode: 3,
    });
    const began = Date.now();
    assert.deepEqual(await runProbe({ exec: { command: ['sleep', '30'] }, timeoutSeconds: 1 }, target()), {
      result: 'failure',
      output: 'command "sleep 30" timed out',
    });
    assert.ok(Date.now() - began < 5_000);
  });

  it('grpc: SERVING succeeds; NOT_SERVING and an error status fail with grpc-go’s words', async () => {
    const { spawn } = await import('node:child_process');
    const gport = await freePort();
    const server = spawn(process.execPath, ['-e', GRPC_HEALTH], {
      env: { ...process.env, GRPC_JS, PORT: String(gport) },
      stdio: 'inherit',
    });
    try {
      await waitFor('the gRPC server', async () =>
        (await runProbe({ tcpSocket: { port: gport } }, target())).result === 'success' ? true : undefined,
      );
      assert.deepEqual(await runProbe({ grpc: { port: gport } }, target()), {
        result: 'success',
        output: 'service healthy',
      });
      assert.equal((await runProbe({ grpc: { port: gport, service: 'up' } }, target())).result, 'success');
      assert.deepEqual(await runProbe({ grpc: { port: gport, service: 'down' } }, target()), {
        result: 'failure',
        output: 'service unhealthy (responded with "NOT_SERVING")',
      });
      assert.deepEqual(await runProbe({ grpc: { port: gport, service: 'other' } }, target()), {
        result: 'failure',
        output: 'error: health rpc probe failed: rpc error: code = NotFound desc = unknown service',
      });
    } finally {
      server.kill();
    }
    // Dialled WithBlock: a refused connection is tried again after grpc-go's back-off (about 1 s)
    // until the timeout, which is then the failure…
    const closed = await freePort();
    const began = performance.now();
    const refused = await runProbe({ grpc: { port: closed }, timeoutSeconds: 2 }, target());
    assert.ok(performance.now() - began >= 1_900, 'retried until the timeout, not failed at once');
    assert.deepEqual(refused, {
      result: 'failure',
      output: `timeout: failed to connect service "127.0.0.1:${closed}" within 2s: context deadline exceeded`,
    });
    // …so a server that starts listening within it still passes.
    const late = await freePort();
    const probing = runProbe({ grpc: { port: late }, timeoutSeconds: 8 }, target());
    const lateServer = spawn(process.execPath, ['-e', GRPC_HEALTH], {
      env: { ...process.env, GRPC_JS, PORT: String(late) },
      stdio: 'inherit',
    });
    try {
      assert.deepEqual(await probing, { result: 'success', output: 'service healthy' });
    } finally {
      lateServer.kill();
    }
  });
});

describe('ProbeMetrics', () => {
  it('counts every run by result and times the successful ones, in the text format', () => {
    const m = new ProbeMetrics();
    assert.equal(m.render(), '', 'no probe has run: no family at all');
    const l = { container: 'web', pod: 'p', namespace: 'default', podUID: 'u-1' };
    m.observe('Readiness', 'failed', l, 0.2);
    m.observe('Readiness', 'successful', l, 0.003);
    m.observe('Readiness', 'successful', l, 0.04);
    const text = m.render();
    const labels = 'container="web",namespace="default",pod="p",pod_uid="u-1",probe_type="Readiness"';
    assert.match(text, new RegExp(`^prober_probe_total\\{${labels},result="failed"\\} 1$`, 'm'));
    assert.match(text, new RegExp(`^prober_probe_total\\{${labels},result="successful"\\} 2$`, 'm'));
    assert.match(text, /^# HELP prober_probe_total \[BETA\] Cumulative number of a liveness/m);
    const dl = 'container="web",namespace="default",pod="p",probe_type="Readiness"';
    assert.match(text, new RegExp(`^prober_probe_duration_seconds_bucket\\{${dl},le="0.005"\\} 1$`, 'm'));
    assert.match(text, new RegExp(`^prober_probe_duration_seconds_bucket\\{${dl},le="0.05"\\} 2$`, 'm'));
    assert.match(text, new RegExp(`^prober_probe_duration_seconds_count\\{${dl}\\} 2$`, 'm'));
  });
});

describe('a kubelet probing its pods', { timeout: 180_000 }, () => {
  const NODE = 'node-probes';
  let c: NodeCluster;
  let k: TestKubelet;
  let admin: { crt: string; key: string };
  const pods = () => c.admin.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespace: 'default' });
  const events = (pod: string) => podEvents(c, pod);
  const event = (pod: string, re: RegExp) => podEvent(c, pod, re);
  const condition = (p: Pod, type: string) => p.status?.conditions?.find((x) => x.type === type);
  const run = (name: string, containers: Container[]) =>
    pods().create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { nodeName: NODE, terminationGracePeriodSeconds: 2, containers },
    });

  before(async () => {
    c = await startNodeCluster();
    k = await c.startKubelet(NODE);
    admin = await issueClient(c.fx, 'probe-reader', ['kubeadm:cluster-admins']);
    await k.kubelet.ready;
  });
  after(async () => {
    await c?.close();
  });

  it('readiness gates Ready: not ready (ContainersNotReady) while the probe fails, Ready once it passes', async () => {
    const port = await freePort();
    const script = `let ok = false; require('http').createServer((q, s) => { if (q.url === '/flip') ok = true;
      s.writeHead(ok ? 200 : 503); s.end(); }).listen(${port}, '127.0.0.1');`;
    await run('gated', [
      nodeContainer('web', script, {
        ports: [{ name: 'http', containerPort: port }],
        readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
      }),
    ]);
    await event('gated', /^Warning Unhealthy Readiness probe failed: HTTP probe failed with statuscode: 503$/);
    const notReady = await pods().get('gated');
    // The apiserver's v1 defaults (SetDefaults_Probe, SetDefaults_HTTPGetAction).
    assert.deepEqual(notReady.spec?.containers[0]?.readinessProbe, {
      httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
      periodSeconds: 1,
      failureThreshold: 1,
      timeoutSeconds: 1,
      successThreshold: 1,
    });
    const cs = notReady.status?.containerStatuses?.[0];
    assert.ok(cs?.state?.running, JSON.stringify(cs));
    assert.equal(cs?.ready, false);
    assert.equal(cs?.started, true);
    assert.deepEqual(
      [
        condition(notReady, 'Ready')?.status,
        condition(notReady, 'Ready')?.reason,
        condition(notReady, 'Ready')?.message,
      ],
      ['False', 'ContainersNotReady', 'containers with unready status: [web]'],
    );
    // A second later (metav1.Time is whole seconds) the probe passes.
    await new Promise((r) => setTimeout(r, 1_100));
    await fetch(`http://127.0.0.1:${port}/flip`);
    const ready = await waitFor('gated Ready', async () => {
      const p = await pods().get('gated');
      return condition(p, 'Ready')?.status === 'True' ? p : undefined;
    });
    assert.equal(ready.status?.containerStatuses?.[0]?.ready, true);
    // Only the conditions that changed have a new transition time.
    const since = (p: Pod, type: string) => Date.parse(condition(p, type)?.lastTransitionTime ?? '');
    assert.equal(since(ready, 'PodScheduled'), since(notReady, 'PodScheduled'));
    assert.ok(since(ready, 'Ready') > since(notReady, 'Ready'));
    assert.equal(condition(ready, 'ContainersReady')?.status, 'True');
    // kubectl shows it as a user would see it.
    const out = await kubectl(c.fx, ['get', 'pod', 'gated', '-o', 'jsonpath={.status.containerStatuses[0].ready}']);
    assert.equal(out.out, 'true');
  });

  it('a failed liveness probe kills the container, and the restart policy brings it back', async () => {
    await run('sickly', [
      nodeContainer('main', 'setInterval(() => {}, 1000)', {
        livenessProbe: { exec: { command: ['sh', '-c', 'echo sick; exit 1'] }, periodSeconds: 1, failureThreshold: 2 },
      }),
    ]);
    await event('sickly', /^Warning Unhealthy Liveness probe failed: sick\n$/);
    await event('sickly', /^Normal Killing Container main failed liveness probe, will be restarted$/);
    const dead = await waitFor('sickly terminated', async () => {
      const s = (await pods().get('sickly')).status?.containerStatuses?.[0];
      return s && !s.state?.running ? s : undefined;
    });
    assert.equal(dead.ready, false);
    // The first restart is at once (the back-off starts with the second); the new instance has
    // probes of its own, which kill it again.
    const again = await waitFor('sickly restarted', async () => {
      const s = (await pods().get('sickly')).status?.containerStatuses?.[0];
      return s?.restartCount === 1 ? s : undefined;
    });
    assert.ok(again.lastState?.terminated, JSON.stringify(again));
    const backedOff = await waitFor('sickly in back-off', async () => {
      const s = (await pods().get('sickly')).status?.containerStatuses?.[0];
      return s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s : undefined;
    });
    assert.equal(backedOff.restartCount, 1);
  });

  it('a startup probe holds liveness and readiness back; failing, it kills the container; passing, it lets them run', async () => {
    const closed = await freePort();
    await run('slowstart', [
      nodeContainer('main', 'setInterval(() => {}, 1000)', {
        startupProbe: { tcpSocket: { port: closed }, periodSeconds: 1, failureThreshold: 3 },
        livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 1 },
      }),
    ]);
    // Running, probed, and not started: the startup probe has not passed.
    const starting = await waitFor('slowstart running', async () => {
      const s = (await pods().get('slowstart')).status?.containerStatuses?.[0];
      return s?.state?.running ? s : undefined;
    });
    assert.equal(starting.started, false);
    assert.equal(starting.ready, false);
    await event(
      'slowstart',
      new RegExp(`^Warning Unhealthy Startup probe failed: dial tcp 127.0.0.1:${closed}: connect: connection refused$`),
    );
    await event('slowstart', /^Normal Killing Container main failed startup probe, will be restarted$/);
    assert.ok(!(await events('slowstart')).some((e) => e.includes('Liveness')), 'liveness ran before startup passed');

    const port = await freePort();
    const script = `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1');`;
    await run('started', [
      nodeContainer('main', script, {
        startupProbe: { tcpSocket: { port }, periodSeconds: 1, failureThreshold: 10 },
        readinessProbe: { httpGet: { port, path: '/' }, periodSeconds: 1 },
      }),
    ]);
    const up = await waitFor('started Ready', async () => {
      const p = await pods().get('started');
      return condition(p, 'Ready')?.status === 'True' ? p : undefined;
    });
    assert.equal(up.status?.containerStatuses?.[0]?.started, true);
  });

  it('gRPC readiness against a grpc-js health server', async () => {
    const port = await freePort();
    await run('grpc', [
      nodeContainer('up', GRPC_HEALTH, {
        env: [
          { name: 'GRPC_JS', value: GRPC_JS },
          { name: 'PORT', value: String(port) },
        ],
        readinessProbe: { grpc: { port }, periodSeconds: 1 },
      }),
      nodeContainer('sidecar', 'setInterval(() => {}, 1000)', {
        readinessProbe: { grpc: { port, service: 'down' }, periodSeconds: 1, failureThreshold: 1 },
      }),
    ]);
    await event(
      'grpc',
      /^Warning Unhealthy Readiness probe failed: service unhealthy \(responded with "NOT_SERVING"\)$/,
    );
    const p = await waitFor('grpc: up ready', async () => {
      const pod = await pods().get('grpc');
      return pod.status?.containerStatuses?.find((s) => s.name === 'up')?.ready ? pod : undefined;
    });
    assert.equal(p.status?.containerStatuses?.find((s) => s.name === 'sidecar')?.ready, false);
    assert.equal(condition(p, 'Ready')?.message, 'containers with unready status: [sidecar]');
  });

  it('counts the runs on /metrics/probes, on 10250 and through the apiserver', async () => {
    const uid = (await pods().get('gated')).metadata?.uid;
    const direct = await curlKubelet(k, '/metrics/probes', { caCrt: c.fx.pki.caCrt, cert: admin.crt, key: admin.key });
    assert.equal(direct.status, 200);
    const line = (result: string) =>
      new RegExp(
        `^prober_probe_total\\{container="web",namespace="default",pod="gated",pod_uid="${uid}",probe_type="Readiness",result="${result}"\\} (\\d+)$`,
        'm',
      );
    assert.ok(Number(line('failed').exec(direct.body)?.[1]) >= 1, direct.body);
    assert.ok(Number(line('successful').exec(direct.body)?.[1]) >= 1, direct.body);
    assert.match(
      direct.body,
      /^prober_probe_total\{container="main",namespace="default",pod="sickly",.*probe_type="Liveness",result="failed"\} \d+$/m,
    );
    assert.match(
      direct.body,
      /^prober_probe_duration_seconds_count\{container="web",namespace="default",pod="gated",probe_type="Readiness"\} \d+$/m,
    );
    const proxied = await kubectl(c.fx, ['get', '--raw', `/api/v1/nodes/${NODE}/proxy/metrics/probes`]);
    assert.match(proxied.out, line('successful'));
  });
});
