// The kubelet's debugging handlers with real curl and kubectl: /debug/pprof serves profiles in pprof's
// format to whom nodes/proxy is granted (the apiserver's client, an admin), not to another node;
// enableDebuggingHandlers=false answers 405 "Debug endpoints are disabled." on exec, attach,
// portForward, run, containerLogs, runningpods, logs and pprof (after authentication and
// authorization, as upstream) and leaves configz out; enableProfilingHandler and
// enableSystemLogHandler turn off their own paths alone; /debug/flags/v sets the verbosity
// (enableDebugFlagsHandler).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { Profile } from 'pprof-format';
import { issueClient, kubectl } from '../../apiserver/test/server/fixture.ts';
import { curlKubelet, type NodeCluster, runningPod, startNodeCluster, type TestKubelet } from './fixture.ts';

describe('kubelet debugging handlers', { timeout: 120_000 }, () => {
  let c: NodeCluster;
  let on: TestKubelet;
  let off: TestKubelet;
  let partly: TestKubelet;
  let admin: { crt: string; key: string };
  let otherNode: { crt: string; key: string };

  before(async () => {
    c = await startNodeCluster();
    const config = join(c.fx.dir, 'kubelet-partly.yaml');
    writeFileSync(
      config,
      'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nenableProfilingHandler: false\nenableSystemLogHandler: false\nenableDebugFlagsHandler: false\nfeatureGates:\n  ContainerCheckpoint: false\n',
    );
    [on, off, partly] = await Promise.all([
      c.startKubelet('node-debug-on'),
      c.startKubelet('node-debug-off', { extra: ['--enable-debugging-handlers=false'] }),
      c.startKubelet('node-debug-partly', { extra: [`--config=${config}`] }),
    ]);
    await Promise.all([on.kubelet.ready, off.kubelet.ready, partly.kubelet.ready]);
    admin = await issueClient(c.fx, 'kube-apiserver-kubelet-client', ['kubeadm:cluster-admins']);
    otherNode = await issueClient(c.fx, 'system:node:node-other', ['system:nodes']);
  });
  after(async () => c?.close());

  const as = (who: { crt: string; key: string }, method?: string) => ({
    caCrt: c.fx.pki.caCrt,
    cert: who.crt,
    key: who.key,
    ...(method ? { method } : {}),
  });

  it('serves a CPU profile, the heap and the command line in pprof’s format to nodes/proxy', async () => {
    const file = join(c.fx.dir, 'kubelet.pprof');
    // Asynchronously: the kubelet runs in this process.
    await promisify(execFile)('curl', [
      '-sSf',
      '--max-time',
      '20',
      '--cacert',
      c.fx.pki.caCrt,
      '--cert',
      admin.crt,
      '--key',
      admin.key,
      '-o',
      file,
      `${on.url}/debug/pprof/profile?seconds=1`,
    ]);
    const p = Profile.decode(gunzipSync(readFileSync(file)));
    assert.deepEqual(
      p.sampleType.map((t) => p.stringTable.strings[Number(t.type)]),
      ['samples', 'cpu'],
    );
    assert.ok(Number(p.durationNanos) >= 900_000_000);

    const cmdline = await curlKubelet(on, '/debug/pprof/cmdline', as(admin));
    assert.equal(cmdline.status, 200);
    assert.equal(cmdline.body.split('\0')[0], process.execPath);
    const index = await curlKubelet(on, '/debug/pprof/', as(admin));
    assert.equal(index.status, 200);
    assert.match(index.body, /href='heap'/);
    const unknown = await curlKubelet(on, '/debug/pprof/goroutine', as(admin));
    assert.deepEqual([unknown.status, unknown.body], [404, 'Unknown profile\n']);

    const denied = await curlKubelet(on, '/debug/pprof/cmdline', as(otherNode));
    assert.equal(denied.status, 403);
    assert.match(
      denied.body,
      /^Forbidden \(user=system:node:node-other, verb=get, resource=nodes, subresource\(s\)=\[proxy\]\)\n$/,
    );
    // Through the apiserver's node proxy with the real kubectl, as an admin does.
    const raw = await kubectl(c.fx, ['get', '--raw', '/api/v1/nodes/node-debug-on/proxy/debug/pprof/symbol']);
    assert.equal(raw.status, 0, raw.err);
    assert.equal(raw.out, 'num_symbols: 0\n');
  });

  it('enableDebuggingHandlers=false: 405 on every debugging path, configz not installed', async () => {
    const paths: [string, string?][] = [
      ['/exec/default/p/c?command=id&output=1'],
      ['/exec/default/p/c', 'POST'],
      ['/attach/default/p/c'],
      ['/portForward/default/p'],
      ['/run/default/p/c', 'POST'],
      ['/containerLogs/default/p/c'],
      ['/runningpods/'],
      ['/logs/'],
      ['/debug/pprof/heap'],
    ];
    for (const [path, method] of paths) {
      const r = await curlKubelet(off, path, as(admin, method));
      assert.deepEqual([r.status, r.body], [405, 'Debug endpoints are disabled.\n'], path);
    }
    const notInstalled = await curlKubelet(off, '/configz', as(admin));
    assert.deepEqual([notInstalled.status, notInstalled.body], [404, '404 page not found\n']);
    assert.equal((await curlKubelet(off, '/debug/flags/v', { ...as(admin, 'PUT'), data: '4' })).status, 404);
    // What is not a debugging handler is served as before.
    assert.equal((await curlKubelet(off, '/pods', as(admin))).status, 200);
    assert.equal((await curlKubelet(off, '/healthz', as(admin))).status, 200);
    // Authentication and authorization come first: no credentials is 401, another node 403.
    assert.equal((await curlKubelet(off, '/exec/default/p/c', { caCrt: c.fx.pki.caCrt })).status, 401);
    assert.equal((await curlKubelet(off, '/exec/default/p/c', as(otherNode))).status, 403);
    // The same with the real kubectl, through the apiserver's node proxy.
    const logs = await kubectl(c.fx, ['get', '--raw', '/api/v1/nodes/node-debug-off/proxy/logs/']);
    assert.notEqual(logs.status, 0);
    assert.match(logs.err, /\(MethodNotAllowed\)/);
  });

  it("answers what it has no route for as upstream's ServeMux and go-restful do", async () => {
    const ask = async (k: TestKubelet, path: string, who?: { crt: string; key: string }, method?: string) => {
      const r = await curlKubelet(k, path, who ? as(who, method) : { caCrt: c.fx.pki.caCrt, method });
      return `${r.status} ${r.body}`;
    };
    // A path no pattern owns: Go's NotFound, before authentication.
    assert.equal(await ask(on, '/nope'), '404 404 page not found\n');
    assert.equal(await ask(on, '/metrics/nope'), '404 404 page not found\n');
    assert.equal(await ask(off, '/configz'), '404 404 page not found\n');
    assert.equal(await ask(partly, '/checkpoint/default/p/c', undefined, 'POST'), '404 404 page not found\n');
    // A WebService's path: the filter first (401, 403), then 405 with Allow or go-restful's 404.
    assert.equal(await ask(on, '/pods', undefined, 'POST'), '401 Unauthorized');
    assert.match(
      await ask(on, '/pods', otherNode, 'POST'),
      /^403 Forbidden \(user=system:node:node-other, verb=create/,
    );
    assert.equal(await ask(on, '/pods', admin, 'POST'), '405 405: Method Not Allowed');
    assert.equal(await ask(on, '/pods/extra', admin), '404 404: Page Not Found');
    assert.equal(await ask(on, '/stats/summary', admin, 'DELETE'), '405 405: Method Not Allowed');
    assert.equal(await ask(on, '/run/default/p/c', admin), '405 405: Method Not Allowed');
    const allow = async (path: string, method: string) => {
      const r = await promisify(execFile)('curl', [
        ...['-sS', '-o', '/dev/null', '-D', '-', '-X', method, '--cacert', c.fx.pki.caCrt],
        ...['--cert', admin.crt, '--key', admin.key, `${on.url}${path}`],
      ]);
      return /^allow: (.*)\r$/im.exec(r.stdout)?.[1];
    };
    assert.equal(await allow('/exec/default/p/c', 'PUT'), 'GET, POST');
    assert.equal(await allow('/containerLogs/default/p/c', 'POST'), 'GET');
    assert.equal(await allow('/checkpoint/default/p/c', 'GET'), 'POST');
    // A plain handler answers every method (verb create for POST: the admin may).
    assert.equal(await ask(on, '/healthz', admin, 'POST'), '200 ok');
    assert.equal(await ask(on, '/healthz/ping', admin), '200 ok');
    assert.match(await ask(on, '/metrics', admin, 'POST'), /^200 # HELP /);
    assert.match(await ask(on, '/configz', admin, 'DELETE'), /^200 \{"kubeletconfig"/);
    // ServeMux's 301s come before authentication: an unclean path to its cleaned form (the query
    // kept), /tree to /tree/; an HTML link for GET only.
    const redirect = async (path: string, method = 'GET') => {
      const r = await promisify(execFile)('curl', [
        ...['-sS', '--path-as-is', '-D', '-', '-X', method, '--cacert', c.fx.pki.caCrt, `${on.url}${path}`],
      ]);
      const [head = '', body = ''] = r.stdout.split('\r\n\r\n');
      return `${/^HTTP\/\S+ (\d+)/.exec(head)?.[1]} ${/^location: (.*)$/im.exec(head)?.[1]} ${body}`;
    };
    assert.equal(await redirect('/exec/../pods?x=1'), '301 /pods?x=1 <a href="/pods?x=1">Moved Permanently</a>.\n\n');
    assert.equal(await redirect('//pods', 'POST'), '301 /pods ');
    assert.equal(await redirect('/%2e/configz'), '301 /configz <a href="/configz">Moved Permanently</a>.\n\n');
    assert.equal(await redirect('/stats'), '301 /stats/ <a href="/stats/">Moved Permanently</a>.\n\n');
    assert.equal(await ask(on, '/%70ods'), '401 Unauthorized', 'a percent-encoded path is its decoded one');
    assert.equal(await ask(on, '/pods%zz'), '400 400 Bad Request', 'an escape that does not decode');
  });

  it('enableProfilingHandler and enableSystemLogHandler false: their paths alone are off', async () => {
    const pprof = await curlKubelet(partly, '/debug/pprof/heap', as(admin));
    assert.deepEqual([pprof.status, pprof.body], [405, 'profiling endpoint is disabled.\n']);
    const logs = await curlKubelet(partly, '/logs/', as(admin));
    assert.deepEqual([logs.status, logs.body], [405, 'logs endpoint is disabled.\n']);
    const flags = await curlKubelet(partly, '/debug/flags/v', { ...as(admin, 'PUT'), data: '4' });
    assert.deepEqual([flags.status, flags.body], [405, 'flags endpoint is disabled.\n']);
    const configz = await curlKubelet(partly, '/configz', as(admin));
    assert.equal(configz.status, 200);
    const cfg = JSON.parse(configz.body).kubeletconfig;
    assert.deepEqual(
      [
        cfg.enableDebuggingHandlers,
        cfg.enableProfilingHandler,
        cfg.enableSystemLogHandler,
        cfg.enableDebugFlagsHandler,
      ],
      [true, false, false, false],
    );
    assert.equal((await curlKubelet(partly, '/runningpods/', as(admin))).status, 200);
  });

  it('/debug/flags/v sets the kubelet’s verbosity (verb update on nodes/proxy), also through the apiserver', async () => {
    const set = await curlKubelet(on, '/debug/flags/v', { ...as(admin, 'PUT'), data: '5' });
    assert.deepEqual([set.status, set.body], [200, 'successfully set klog.logging.verbosity to 5\n']);
    const bad = await curlKubelet(on, '/debug/flags/v', { ...as(admin, 'PUT'), data: 'loud' });
    assert.deepEqual(
      [bad.status, bad.body],
      [400, 'failed set klog.logging.verbosity loud: strconv.ParseInt: parsing "loud": invalid syntax\n'],
    );
    const get = await curlKubelet(on, '/debug/flags/v', as(admin));
    assert.deepEqual([get.status, get.body], [406, 'unsupported http method\n']);
    const denied = await curlKubelet(on, '/debug/flags/v', { ...as(otherNode, 'PUT'), data: '9' });
    assert.equal(denied.status, 403);
    assert.match(
      denied.body,
      /^Forbidden \(user=system:node:node-other, verb=update, resource=nodes, subresource\(s\)=\[proxy\]\)\n$/,
    );
    // kubectl's `replace --raw` is a PUT of the file's bytes, through the apiserver's node proxy.
    const file = join(c.fx.dir, 'v0');
    writeFileSync(file, '0');
    const k = await kubectl(c.fx, ['replace', '--raw', '/api/v1/nodes/node-debug-on/proxy/debug/flags/v', '-f', file]);
    assert.equal(k.status, 0, k.err);
    assert.equal(k.out, 'successfully set klog.logging.verbosity to 0\n');
  });

  it('POST /checkpoint (ContainerCheckpoint, on by default): nodes/checkpoint; the process runtime cannot, and says so', async () => {
    await runningPod(c, 'ckpt', 'node-debug-on', {
      containers: [{ name: 'main', image: 'busybox', command: ['sleep', '300'] }],
    });
    const r = await curlKubelet(on, '/checkpoint/default/ckpt/main', as(admin, 'POST'));
    assert.deepEqual(
      [r.status, r.body],
      [
        500,
        'checkpointing of default/ckpt/main failed (rpc error: code = Unimplemented desc = the mkube process runtime cannot checkpoint a container)',
      ],
    );
    const noPod = await curlKubelet(on, '/checkpoint/default/nope/main', as(admin, 'POST'));
    assert.deepEqual([noPod.status, noPod.body], [404, 'pod does not exist']);
    const noContainer = await curlKubelet(on, '/checkpoint/default/ckpt/other', as(admin, 'POST'));
    assert.deepEqual([noContainer.status, noContainer.body], [404, 'container other does not exist']);
    const badTimeout = await curlKubelet(on, '/checkpoint/default/ckpt/main?timeout=soon', as(admin, 'POST'));
    assert.deepEqual([badTimeout.status, badTimeout.body], [404, 'cannot parse value of timeout parameter']);
    const denied = await curlKubelet(on, '/checkpoint/default/ckpt/main', as(otherNode, 'POST'));
    assert.equal(denied.status, 403);
    assert.match(denied.body, /verb=create, resource=nodes, subresource\(s\)=\[checkpoint\]\)\n$/);
    // Not installed with the gate off, nor without the debugging handlers.
    assert.equal((await curlKubelet(partly, '/checkpoint/default/ckpt/main', as(admin, 'POST'))).status, 404);
    assert.equal((await curlKubelet(off, '/checkpoint/default/ckpt/main', as(admin, 'POST'))).status, 404);
  });
});
