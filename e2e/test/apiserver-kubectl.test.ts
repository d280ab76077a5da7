// The real kubectl (oldest and newest supported) against a real `mkube apiserver` over mTLS.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type Apiserver,
  cleanup,
  freePort,
  kubectl,
  kubectlBinary,
  makePki,
  type Pki,
  startApiserver,
  tempDir,
  waitFor,
} from '../src/harness.ts';

function nodeCsr(dir: string, cn: string, org = 'system:nodes'): string {
  const key = join(dir, `${cn.replace(/:/g, '_')}.key`);
  const csr = join(dir, `${cn.replace(/:/g, '_')}.csr`);
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      `/O=${org}/CN=${cn}`,
      '-keyout',
      key,
      '-out',
      csr,
    ],
    { stdio: 'ignore' },
  );
  return execFileSync('base64', ['-w0', csr], { encoding: 'utf8' });
}

for (const version of ['1.27', '1.33']) {
  describe(`kubectl ${version} against mkube apiserver`, () => {
    const bin = kubectlBinary(version);
    let pki: Pki;
    let api: Apiserver;
    let work: string;
    const k = (args: string[], input?: string) => kubectl(pki.adminConf, args, { bin, input, home: work });

    before(async () => {
      const port = await freePort();
      pki = makePki(port);
      work = tempDir('kubectl');
      api = await startApiserver(pki, port, join(work, 'data'));
    });
    after(async () => {
      await api?.stop();
      cleanup(pki?.dir ?? '', work ?? '');
    });

    it('is the binary we asked for', (t) => {
      if (!bin) return t.skip(`kubectl.${version} is not installed here`);
      const v = execFileSync(bin, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
      assert.equal(JSON.parse(v).clientVersion.minor.replace('+', ''), version.split('.')[1]);
    });

    it('lists the system namespaces and the API resources', () => {
      const ns = k(['get', 'namespaces', '-o', 'name']);
      assert.equal(ns.status, 0, ns.stderr);
      for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
        assert.match(ns.stdout, new RegExp(`namespace/${n}\\n`));
      const res = k(['api-resources', '--no-headers']);
      assert.equal(res.status, 0, res.stderr);
      assert.match(
        res.stdout,
        /certificatesigningrequests\s+csr\s+certificates.k8s.io\/v1\s+false\s+CertificateSigningRequest/,
      );
      assert.match(res.stdout, /configmaps\s+cm\s+v1\s+true\s+ConfigMap/);
    });

    it('create -f, get, describe, apply -f, edit, delete a ConfigMap', () => {
      const file = join(work, 'cm.yaml');
      writeFileSync(
        file,
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  labels: {app: demo}\ndata:\n  a: "1"\n',
      );
      let r = k(['create', '-f', file]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /configmap\/demo created/);
      r = k(['create', '-f', file]);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /AlreadyExists.*configmaps "demo" already exists/);
      r = k(['get', 'cm', 'demo', '-o', 'jsonpath={.data.a}']);
      assert.equal(r.stdout, '1');
      r = k(['describe', 'cm', 'demo']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Name:\s+demo/);
      writeFileSync(
        file,
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  labels: {app: demo}\ndata:\n  a: "2"\n  b: "3"\n',
      );
      r = k(['apply', '-f', file]);
      assert.equal(r.status, 0, r.stderr);
      r = k(['apply', '-f', file]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /configmap\/demo (unchanged|configured)/);
      r = k(['get', 'cm', 'demo', '-o', 'jsonpath={.data.a},{.data.b}']);
      assert.equal(r.stdout, '2,3');
      r = k(['label', 'cm', 'demo', 'tier=web']);
      assert.equal(r.status, 0, r.stderr);
      r = k(['get', 'cm', '-l', 'tier=web', '-o', 'name']);
      assert.equal(r.stdout.trim(), 'configmap/demo');
      r = k(['get', 'cm', '-l', 'tier=db', '-o', 'name']);
      assert.equal(r.stdout.trim(), '');
      r = k(['delete', 'cm', 'demo']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /configmap "demo" deleted/);
      r = k(['get', 'cm', 'demo']);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /NotFound.*configmaps "demo" not found/);
    });

    it('edit through $KUBE_EDITOR', () => {
      assert.equal(k(['create', 'configmap', 'ed', '--from-literal=k=old']).status, 0);
      const r = spawnSyncEdit(pki.adminConf, bin, work, ['edit', 'cm', 'ed'], "sed -i 's/k: old/k: new/'");
      assert.equal(r.status, 0, r.stderr);
      assert.equal(k(['get', 'cm', 'ed', '-o', 'jsonpath={.data.k}']).stdout, 'new');
    });

    it('get -w sees a later change', async () => {
      const child = spawn(bin ?? 'kubectl', ['--kubeconfig', pki.adminConf, 'get', 'cm', '-w', '--no-headers'], {
        env: { ...process.env, HOME: work, KUBECONFIG: '' },
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      try {
        await waitFor(
          () => out.includes('kube-root-ca') || out.length > 0 || true,
          2000,
          () => out,
        );
        await new Promise((r) => setTimeout(r, 500));
        assert.equal(k(['create', 'configmap', 'watched', '--from-literal=x=y']).status, 0);
        await waitFor(
          () => /watched\s+1/.test(out),
          10_000,
          () => `watch output: ${out}`,
        );
      } finally {
        child.kill();
      }
    });

    it('CSRs: kubectl get csr columns, certificate approve and deny', () => {
      const req = nodeCsr(work, `system:node:n-${version}`);
      const csr = (name: string) =>
        JSON.stringify({
          apiVersion: 'certificates.k8s.io/v1',
          kind: 'CertificateSigningRequest',
          metadata: { name },
          spec: {
            request: req,
            signerName: 'kubernetes.io/kube-apiserver-client-kubelet',
            usages: ['digital signature', 'client auth'],
            expirationSeconds: 3600,
          },
        });
      assert.equal(k(['create', '-f', '-'], csr('csr-a')).status, 0);
      assert.equal(k(['create', '-f', '-'], csr('csr-b')).status, 0);
      let r = k(['get', 'csr']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION/);
      assert.match(
        r.stdout,
        /csr-a\s+\S+\s+kubernetes.io\/kube-apiserver-client-kubelet\s+kubernetes-admin\s+60m\s+Pending/,
      );
      r = k(['certificate', 'approve', 'csr-a']);
      assert.equal(r.status, 0, r.stderr);
      r = k(['certificate', 'deny', 'csr-b']);
      assert.equal(r.status, 0, r.stderr);
      r = k(['get', 'csr', 'csr-a', 'csr-b', '--no-headers']);
      assert.match(r.stdout, /csr-a\s.*Approved\n/);
      assert.match(r.stdout, /csr-b\s.*Denied\n/);
      r = k(['get', 'csr', 'csr-a', '-o', 'jsonpath={.status.conditions[0].reason}']);
      assert.equal(r.stdout, 'KubectlApprove');
    });

    it('other kinds: secret, serviceaccount, node, pod, lease, role', () => {
      for (const args of [
        ['create', 'secret', 'generic', 's1', '--from-literal=password=hunter2'],
        ['create', 'serviceaccount', 'robot'],
        ['create', 'role', 'reader', '--verb=get', '--resource=pods'],
        ['create', 'rolebinding', 'reader-b', '--role=reader', '--user=alice'],
        ['create', 'clusterrole', 'creader', '--verb=get', '--resource=nodes'],
      ]) {
        const r = k(args);
        assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      }
      assert.equal(
        Buffer.from(k(['get', 'secret', 's1', '-o', 'jsonpath={.data.password}']).stdout, 'base64').toString(),
        'hunter2',
      );
      const node = JSON.stringify({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } },
      });
      assert.equal(k(['create', '-f', '-'], node).status, 0);
      let r = k(['get', 'nodes']);
      assert.match(r.stdout, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
      const pod = JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p1' },
        spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox', command: ['sleep', '1000'] }] },
      });
      assert.equal(k(['create', '-f', '-'], pod).status, 0);
      r = k(['get', 'pods', '--field-selector=spec.nodeName=n1', '-o', 'name']);
      assert.equal(r.stdout.trim(), 'pod/p1');
      r = k(['get', 'pods', '--field-selector=spec.nodeName=n2', '-o', 'name']);
      assert.equal(r.stdout.trim(), '');
      const lease = JSON.stringify({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'n1', namespace: 'kube-node-lease' },
        spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 },
      });
      assert.equal(k(['create', '-f', '-'], lease).status, 0);
      r = k(['get', 'lease', '-n', 'kube-node-lease']);
      assert.match(r.stdout, /n1\s+n1\s+/);
    });

    it('bad input is a 4xx Status and changes nothing', () => {
      let r = k(['create', 'configmap', 'Bad_Name']);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /Invalid|invalid/);
      r = k(['create', 'configmap', 'x', '-n', 'no-such-ns']);
      assert.match(r.stderr, /namespaces "no-such-ns" not found/);
      r = k(['delete', 'namespace', 'kube-system']);
      assert.match(r.stderr, /Forbidden.*may not be deleted/);
    });
  });
}

function spawnSyncEdit(kubeconfig: string, bin: string | undefined, home: string, args: string[], editor: string) {
  const r = spawnSync(bin ?? 'kubectl', ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    env: { ...process.env, HOME: home, KUBECONFIG: '', KUBE_EDITOR: editor },
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
