// docker-compose.yml, run as written (see e2e/src/compose.ts): the one-shot PKI service, the
// apiserver, the bootstrap-token step, the controller-manager, the scheduler, metrics-server and two kubelets, each on its own
// network-namespace host with compose's address. Then, from the host as a user would: both nodes
// Ready with serving certificates for their real IPs, and kubectl logs/exec across namespaces.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { composeSupport, composeUp, loadCompose, type RunningCompose, waitHealthy } from '../src/compose.ts';
import { cleanup, REPO_ROOT, tempDir } from '../src/harness.ts';

const FILE = join(REPO_ROOT, 'docker-compose.yml');
const unsupported = composeSupport();

describe('docker-compose.yml', () => {
  it('parses: every service has an address on the compose network and a mkube (or sh) command', () => {
    const c = loadCompose(FILE);
    assert.deepEqual(
      c.services.map((s) => s.name),
      [
        'pki',
        'apiserver',
        'bootstrap-token',
        'controller-manager',
        'scheduler',
        'metrics-server-addon',
        'metrics-server',
        'node1',
        'node2',
      ],
    );
    for (const s of c.services) assert.ok(['mkube', 'sh'].includes(s.command[0]!), `${s.name}: ${s.command[0]}`);
    assert.deepEqual(c.services.find((s) => s.name === 'apiserver')!.ports, ['6443:6443']);
  });

  describe('run as written, each service in its own network namespace', { skip: unsupported }, () => {
    let r: RunningCompose;
    const home = tempDir('compose-home');
    let kubeconfig: string;
    const kubectl = (args: string[]) =>
      spawnSync('kubectl', ['--kubeconfig', kubeconfig, ...args], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, HOME: home },
      });
    before(async () => {
      r = await composeUp(FILE, { timeoutMs: 120_000 });
      await waitHealthy(r, 'node1', 90_000);
      await waitHealthy(r, 'node2', 90_000);
      kubeconfig = join(r.volumes.pki!, 'admin.conf');
    });
    after(async () => {
      await r?.down();
      cleanup(home);
    });

    it('the nodes join by TLS bootstrap and are Ready on their compose addresses', () => {
      const out = kubectl([
        'get',
        'nodes',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name} {.status.addresses[0].address} {.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
      ]);
      assert.equal(out.stdout.trim(), 'node1 172.28.0.21 True\nnode2 172.28.0.22 True', out.stderr);
      const csrs = kubectl(['get', 'csr', '--no-headers']).stdout.trim().split('\n');
      assert.equal(csrs.length, 4);
      assert.ok(csrs.every((l) => l.includes('Approved,Issued')));
      // The host name inside each service's namespace is the compose hostname.
      assert.equal(r.exec('node1', ['hostname']).stdout.trim(), 'node1');
    });

    it('serving certificates carry each node’s own IP; the apiserver verifies them across namespaces', async () => {
      const cert = spawnSync(
        'sh',
        [
          '-c',
          `echo | openssl s_client -connect 172.28.0.22:10250 2>/dev/null | openssl x509 -noout -ext subjectAltName`,
        ],
        { encoding: 'utf8' },
      );
      assert.match(cert.stdout, /IP Address:172\.28\.0\.22/);
      let logs = '';
      for (let i = 0; i < 100 && !/hello from hello-node1/.test(logs); i++) {
        await new Promise((res) => setTimeout(res, 100));
        logs = kubectl(['logs', 'hello-node1']).stdout;
      }
      assert.match(logs, /hello from hello-node1/);
      const ex = kubectl(['exec', 'hello-node2', '--', 'sh', '-c', 'echo hi from $(hostname); exit 3']);
      assert.equal(ex.status, 3, ex.stderr);
      assert.equal(ex.stdout, 'hi from node2\n');
      const anon = spawnSync(
        'curl',
        ['-sk', '-o', '/dev/null', '-w', '%{http_code}', 'https://172.28.0.21:10250/pods'],
        { encoding: 'utf8' },
      );
      assert.equal(anon.stdout, '401');
    });

    it('kubectl top reaches metrics-server through the aggregator and its Endpoints (172.28.0.13)', async () => {
      const ep = kubectl([
        'get',
        'endpoints',
        '-n',
        'kube-system',
        'metrics-server',
        '-o',
        'jsonpath={.subsets[0].addresses[0].ip}',
      ]);
      assert.equal(ep.stdout, '172.28.0.13', ep.stderr);
      let top = kubectl(['top', 'nodes', '--no-headers']);
      // Two scrapes 15 s apart make the first usage.
      for (let i = 0; i < 90 && !(top.status === 0 && /node1/.test(top.stdout) && /node2/.test(top.stdout)); i++) {
        await new Promise((res) => setTimeout(res, 500));
        top = kubectl(['top', 'nodes', '--no-headers']);
      }
      assert.match(top.stdout, /^node1\s+\d+m\s+\d+%/m, `${top.stderr}\n${r.log('metrics-server').slice(-2000)}`);
      assert.match(top.stdout, /^node2\s+\d+m\s+\d+%/m);
    });

    it('the long-running services are all still up', () => {
      for (const s of ['apiserver', 'controller-manager', 'scheduler', 'metrics-server', 'node1', 'node2'])
        assert.ok(r.running(s), `${s}:\n${r.log(s).slice(-2000)}`);
    });
  });
});
