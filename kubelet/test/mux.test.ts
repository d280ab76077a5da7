// The kubelet server's pattern table: which upstream ServeMux pattern owns a path for each
// debugging configuration, and the methods a path's routes answer (go-restful's Allow).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_DEBUGGING_HANDLERS } from '../src/server/debugging.ts';
import { allowedMethods, cleanPath, kubeletMuxEntries, muxOwner, muxRedirect } from '../src/server/mux.ts';

describe('kubelet ServeMux patterns', () => {
  const all = kubeletMuxEntries(ALL_DEBUGGING_HANDLERS, true);
  const owner = (path: string, entries = all) => {
    const e = muxOwner(entries, path);
    return e && `${e.pattern} ${typeof e.kind === 'object' ? `off: ${e.kind.disabled}` : e.kind}`;
  };

  it('picks the longest pattern; exact patterns own only themselves, WebServices their subtree', () => {
    assert.equal(owner('/pods'), '/pods webservice');
    assert.equal(owner('/pods/'), '/pods webservice');
    assert.equal(owner('/pods/x/y'), '/pods webservice');
    assert.equal(owner('/podsx'), undefined);
    assert.equal(owner('/metrics'), '/metrics handler');
    assert.equal(owner('/metrics/cadvisor'), '/metrics/cadvisor handler');
    assert.equal(owner('/metrics/cadvisor/x'), undefined);
    assert.equal(owner('/metrics/other'), undefined);
    assert.equal(owner('/healthz/ping'), '/healthz/ping handler');
    assert.equal(owner('/healthz/other'), undefined);
    assert.equal(owner('/stats'), '/stats/ webservice', 'ServeMux redirects /stats to the subtree');
    assert.equal(owner('/debug/pprof/heap'), '/debug/pprof/ webservice');
    assert.equal(owner('/debug/flags/v'), '/debug/flags/v handler');
    assert.equal(owner('/debug/flags'), undefined);
    assert.equal(owner('/checkpoint/a/b/c'), '/checkpoint webservice');
    assert.equal(owner('/'), undefined);
  });

  it('follows the debugging switches and the checkpoint gate', () => {
    const off = kubeletMuxEntries({ ...ALL_DEBUGGING_HANDLERS, enabled: false }, true);
    assert.equal(owner('/exec/a/b/c', off), '/exec/ off: Debug endpoints are disabled.');
    assert.equal(owner('/logs', off), '/logs/ off: Debug endpoints are disabled.');
    assert.equal(owner('/configz', off), undefined);
    assert.equal(owner('/checkpoint/a/b/c', off), undefined, 'no checkpoint without the debugging handlers');
    assert.equal(owner('/debug/flags/v', off), undefined);
    assert.equal(owner('/pods', off), '/pods webservice');
    const partly = kubeletMuxEntries({ enabled: true, systemLog: false, profiling: false, debugFlags: false }, false);
    assert.equal(owner('/logs/x', partly), '/logs/ off: logs endpoint is disabled.');
    assert.equal(owner('/debug/pprof/', partly), '/debug/pprof/ off: profiling endpoint is disabled.');
    assert.equal(owner('/debug/flags/v', partly), '/debug/flags/v off: flags endpoint is disabled.');
    assert.equal(owner('/checkpoint/a/b/c', partly), undefined);
    assert.equal(owner('/configz', partly), '/configz handler');
  });

  it('lists the methods of every route matching a path, in registration order, once each', () => {
    const routes = [
      { methods: ['GET'], url: '/exec/:ns/:pod/:container' },
      { methods: ['POST'], url: '/exec/:ns/:pod/:container' },
      { methods: ['GET'], url: '/pods' },
      { methods: ['GET'], url: '/logs/*' },
      { methods: ['POST'], url: '/run/:ns/:pod/:container' },
      { methods: ['POST', 'GET'], url: '/run/:ns/:pod/:uid/:container' },
    ];
    assert.deepEqual(allowedMethods(routes, '/exec/a/b/c'), ['GET', 'POST']);
    assert.deepEqual(allowedMethods(routes, '/exec/a/b'), []);
    assert.deepEqual(allowedMethods(routes, '/exec/a//c'), [], 'an empty segment is no parameter');
    assert.deepEqual(allowedMethods(routes, '/pods/'), ['GET']);
    assert.deepEqual(allowedMethods(routes, '/pods/x'), []);
    assert.deepEqual(allowedMethods(routes, '/logs/a/b/c'), ['GET']);
    assert.deepEqual(allowedMethods(routes, '/run/a/b/c'), ['POST']);
    assert.deepEqual(allowedMethods(routes, '/run/a/b/u/c'), ['POST', 'GET']);
  });

  it("cleans paths as net/http's cleanPath: dot segments and doubled slashes go, a trailing slash stays", () => {
    const cases: [string, string][] = [
      ['', '/'],
      ['/', '/'],
      ['pods', '/pods'],
      ['//pods', '/pods'],
      ['/./pods', '/pods'],
      ['/exec/../pods', '/pods'],
      ['/../../pods', '/pods'],
      ['/pods/', '/pods/'],
      ['/pods/.', '/pods'],
      ['/pods/./', '/pods/'],
      ['/a/b/../../', '/'],
    ];
    for (const [p, want] of cases) assert.equal(cleanPath(p), want, p);
  });

  it('redirects as ServeMux does: /tree to /tree/ when only the subtree is registered, unclean paths to clean ones', () => {
    const to = (path: string, query = '', method = 'GET') => muxRedirect(all, method, path, query);
    assert.equal(to('/stats'), '/stats/');
    assert.equal(to('/stats', 'only_cpu_and_memory=true'), '/stats/?only_cpu_and_memory=true');
    assert.equal(to('/runningpods'), '/runningpods/');
    assert.equal(to('/pods'), undefined, 'a WebService root is registered with and without the slash');
    assert.equal(to('/exec'), undefined);
    assert.equal(to('/healthz'), undefined);
    assert.equal(to('/nope'), undefined, 'nothing to redirect to: NotFound later');
    assert.equal(to('/exec/../pods', 'a=1'), '/pods?a=1');
    assert.equal(to('//pods'), '/pods');
    assert.equal(to('/stats/../stats'), '/stats/', 'the subtree redirect wins');
    assert.equal(to('/a b/../x y'), '/x%20y', 'Location is escaped');
    assert.equal(to('//pods', '', 'CONNECT'), undefined, 'CONNECT is not canonicalized');
    const off = kubeletMuxEntries({ ...ALL_DEBUGGING_HANDLERS, enabled: false }, true);
    assert.equal(muxRedirect(off, 'GET', '/run', ''), '/run/', 'the disabled handlers are subtrees');
  });
});
