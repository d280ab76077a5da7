// Cluster extensions in kubeconfigs: kept through parse and serialize (ours and anyone's), the
// mkube.io/apiservers list validated and resolved into the client's failover list, written by
// buildKubeconfig/bootstrapKubeconfig, and accepted by the real kubectl.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  bootstrapKubeconfig,
  buildKubeconfig,
  clientOptionsFrom,
  KubeconfigError,
  loadKubeconfig,
  parseKubeconfig,
  resolveCredentials,
  serializeKubeconfig,
  writeKubeconfig,
} from '@mkube/shared/kubeconfig';
import { selfSignedP256 } from './helpers/openssl.ts';

const EXT = 'mkube.io/apiservers';

function kubectl(args: string[]) {
  const r = spawnSync('kubectl', args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: '' } });
  return { status: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('kubeconfig cluster extensions', () => {
  let dir: string;
  let caPem: string;
  let caData: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mkube-kubeconfig-ext-'));
    caPem = selfSignedP256(dir, '/CN=x').certPem;
    caData = Buffer.from(caPem).toString('base64');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const doc = (extensions: string) =>
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: mkube',
      '  cluster:',
      '    server: https://127.0.0.1:6443',
      `    certificate-authority-data: ${caData}`,
      extensions,
      'users:',
      '- name: u',
      '  user: {token: abcdef.0123456789abcdef}',
      'contexts:',
      '- name: x',
      '  context: {cluster: mkube, user: u}',
      'current-context: x',
      '',
    ].join('\n');

  const BOTH = [
    '    extensions:',
    '    - name: cluster_info',
    '      extension:',
    '        provider: minikube.sigs.k8s.io',
    '        version: v1.34.0',
    '        last-update: Mon, 01 Jan 2024 00:00:00 UTC',
    '        nested: {list: [1, two, {three: true}], "null": null}',
    `    - name: ${EXT}`,
    '      extension:',
    '        servers: [https://127.0.0.1:6443/, https://127.0.0.2:6444, https://127.0.0.1:6443, https://127.0.0.3:6445]',
  ].join('\n');

  it('keeps every extension through parse and serialize', () => {
    const cfg = parseKubeconfig(doc(BOTH));
    const expected = [
      {
        name: 'cluster_info',
        extension: {
          provider: 'minikube.sigs.k8s.io',
          version: 'v1.34.0',
          'last-update': 'Mon, 01 Jan 2024 00:00:00 UTC',
          nested: { list: [1, 'two', { three: true }], null: null },
        },
      },
      {
        name: EXT,
        extension: {
          servers: [
            'https://127.0.0.1:6443/',
            'https://127.0.0.2:6444',
            'https://127.0.0.1:6443',
            'https://127.0.0.3:6445',
          ],
        },
      },
    ];
    assert.deepEqual(cfg.clusters[0]?.cluster.extensions, expected);
    const text = serializeKubeconfig(cfg);
    assert.match(text, /extensions:/);
    const again = parseKubeconfig(text);
    assert.deepEqual(again, cfg);
    assert.equal(serializeKubeconfig(again), text);
    // No extensions: no key (what mkube wrote before stays byte-identical).
    const plain = parseKubeconfig(doc(''));
    assert.equal('extensions' in (plain.clusters[0]?.cluster ?? {}), false);
    assert.doesNotMatch(serializeKubeconfig(plain), /extensions/);
  });

  it('resolves the failover list: server first, then the others once each', async () => {
    const creds = await resolveCredentials(parseKubeconfig(doc(BOTH)));
    assert.equal(creds.server, 'https://127.0.0.1:6443');
    assert.deepEqual(creds.servers, ['https://127.0.0.1:6443', 'https://127.0.0.2:6444', 'https://127.0.0.3:6445']);
    assert.deepEqual(clientOptionsFrom(creds).servers, creds.servers);
    // Without the extension (or with only foreign ones): just the server.
    const plain = await resolveCredentials(parseKubeconfig(doc('')));
    assert.deepEqual(plain.servers, ['https://127.0.0.1:6443']);
    // The server need not be in the list; it is still first.
    const other = await resolveCredentials(
      parseKubeconfig(doc(`    extensions:\n    - name: ${EXT}\n      extension: {servers: [https://10.0.0.9:6443]}`)),
    );
    assert.deepEqual(other.servers, ['https://127.0.0.1:6443', 'https://10.0.0.9:6443']);
  });

  it('names the file and the field for a bad extension', async () => {
    const bad = (name: string, ext: string) => {
      const f = join(dir, name);
      writeFileSync(f, doc(ext));
      return loadKubeconfig(f);
    };
    const fails = async (name: string, ext: string, re: RegExp) =>
      assert.rejects(bad(name, ext), (e: Error) => {
        assert.ok(e instanceof KubeconfigError, String(e));
        assert.match(e.message, new RegExp(`^kubeconfig ${join(dir, name)}: `));
        assert.match(e.message, re);
        return true;
      });
    await fails('e1', '    extensions: {a: b}', /: clusters\[0\]\.cluster\.extensions: expected a list$/);
    await fails(
      'e2',
      '    extensions:\n    - extension: {}',
      /: clusters\[0\]\.cluster\.extensions\[0\]\.name: required$/,
    );
    await fails(
      'e3',
      '    extensions:\n    - just a string',
      /: clusters\[0\]\.cluster\.extensions\[0\]: expected a mapping$/,
    );
    await fails(
      'e4',
      `    extensions:\n    - name: ${EXT}\n      extension: [https://a]`,
      /: clusters\[0\]\.cluster\.extensions\[0\]\.extension: expected a mapping with a servers list$/,
    );
    await fails(
      'e5',
      `    extensions:\n    - name: ${EXT}\n      extension: {servers: []}`,
      /: clusters\[0\]\.cluster\.extensions\[0\]\.extension\.servers: expected a non-empty list of apiserver URLs$/,
    );
    await fails(
      'e6',
      `    extensions:\n    - name: x\n      extension: 1\n    - name: ${EXT}\n      extension: {servers: [https://a:1, ftp://b]}`,
      /: clusters\[0\]\.cluster\.extensions\[1\]\.extension\.servers\[1\]: not an http\(s\) URL: "ftp:\/\/b"$/,
    );
    await fails(
      'e7',
      `    extensions:\n    - name: ${EXT}\n      extension: {servers: [https://a:1, 42]}`,
      /: clusters\[0\]\.cluster\.extensions\[0\]\.extension\.servers\[1\]: expected an http\(s\) URL, got 42$/,
    );
    await fails(
      'e8',
      `    extensions:\n    - name: ${EXT}\n      extension: {servers: [https://a:1]}\n    - name: ${EXT}\n      extension: {servers: [https://b:1]}`,
      /: clusters\[0\]\.cluster\.extensions\[1\]\.name: mkube\.io\/apiservers given twice \(first at extensions\[0\]\)$/,
    );
    // Anyone else's extension may hold anything.
    const ok = await bad(
      'e9',
      '    extensions:\n    - name: other\n      extension: [1, {a: [null]}]\n    - name: bare',
    );
    assert.deepEqual(ok.clusters[0]?.cluster.extensions, [
      { name: 'other', extension: [1, { a: [null] }] },
      { name: 'bare', extension: undefined },
    ]);
  });

  it('buildKubeconfig and bootstrapKubeconfig write the apiservers extension when given several', () => {
    const base = { clusterName: 'mkube', server: 'https://127.0.0.1:6443', caPem, userName: 'u', token: 't' };
    const two = buildKubeconfig({ ...base, servers: ['https://127.0.0.1:6443', 'https://127.0.0.2:6444'] });
    assert.deepEqual(two.clusters[0]?.cluster.extensions, [
      { name: EXT, extension: { servers: ['https://127.0.0.1:6443', 'https://127.0.0.2:6444'] } },
    ]);
    // The preferred server is put first when the list leaves it out.
    const without = buildKubeconfig({ ...base, servers: ['https://127.0.0.2:6444'] });
    assert.deepEqual(without.clusters[0]?.cluster.extensions, [
      { name: EXT, extension: { servers: ['https://127.0.0.1:6443', 'https://127.0.0.2:6444'] } },
    ]);
    for (const servers of [undefined, [], ['https://127.0.0.1:6443']]) {
      const one = buildKubeconfig({ ...base, ...(servers ? { servers } : {}) });
      assert.equal(one.clusters[0]?.cluster.extensions, undefined);
      assert.doesNotMatch(serializeKubeconfig(one), /extensions/);
    }
    const boot = bootstrapKubeconfig('https://127.0.0.1:6443', caPem, 'abcdef.0123456789abcdef', {
      servers: ['https://127.0.0.1:6443', 'https://127.0.0.2:6444'],
    });
    assert.deepEqual(parseKubeconfig(serializeKubeconfig(boot)).clusters[0]?.cluster.extensions, [
      { name: EXT, extension: { servers: ['https://127.0.0.1:6443', 'https://127.0.0.2:6444'] } },
    ]);
    assert.equal(
      bootstrapKubeconfig('https://127.0.0.1:6443', caPem, 'abcdef.0123456789abcdef').clusters[0]?.cluster.extensions,
      undefined,
    );
  });

  it('the real kubectl accepts and keeps the extensions', async () => {
    const file = join(dir, 'ext.conf');
    const cfg = parseKubeconfig(doc(BOTH));
    await writeKubeconfig(file, cfg);
    const r = kubectl(['--kubeconfig', file, 'config', 'view', '-o', 'json']);
    assert.equal(r.status, 0, r.err);
    const shown = JSON.parse(r.out);
    const exts = shown.clusters[0].cluster.extensions as { name: string; extension: unknown }[];
    assert.deepEqual(
      exts.find((e) => e.name === EXT),
      cfg.clusters[0]?.cluster.extensions?.[1],
    );
    assert.ok(exts.some((e) => e.name === 'cluster_info'));
    for (const extra of [['--minify'], ['--flatten'], ['--raw']])
      assert.equal(kubectl(['--kubeconfig', file, 'config', 'view', ...extra]).status, 0);
    // kubectl rewrites the file (switching context) and keeps our extension; we read it back.
    assert.equal(kubectl(['--kubeconfig', file, 'config', 'set-context', 'x', '--namespace=kube-system']).status, 0);
    const back = await resolveCredentials(await loadKubeconfig(file));
    assert.equal(back.namespace, 'kube-system');
    assert.deepEqual(back.servers, ['https://127.0.0.1:6443', 'https://127.0.0.2:6444', 'https://127.0.0.3:6445']);
  });
});
