// deploy/systemd units stay in step with the daemons: every ExecStart is parsed by the daemon's own
// flag parser and its configuration loaded against a PKI written by `mkube pki init` (the unit's
// paths moved into a temp folder), so a renamed flag or a bad value fails here, not on a machine.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { APISERVER_FLAGS, loadApiServerConfig } from '@mkube/apiserver/config';
import { CONTROLLER_MANAGER_FLAGS, loadControllerManagerConfig } from '@mkube/controller-manager';
import { KUBELET_FLAGS, loadKubeletConfig } from '@mkube/kubelet';
import { loadMetricsServerConfig, METRICS_SERVER_FLAGS } from '@mkube/metrics-server';
import { loadSchedulerConfig, SCHEDULER_FLAGS } from '@mkube/scheduler';
import { parseFlags } from '@mkube/shared/flags';
import { PkiDir } from '../src/pki/files.ts';
import { ensureMetricsServerCredentials } from '../src/up/metricsserver.ts';
import { runCli, tempDir } from './helpers.ts';

const UNITS = join(import.meta.dirname, '../../deploy/systemd');

/** ExecStart's words, continuation lines joined; `$VAR` words replaced by `env[VAR]` split on spaces. */
function execStart(unit: string, env: Record<string, string>): string[] {
  const joined = unit.replace(/\\\n\s*/g, ' ');
  const line = joined.split('\n').find((l) => l.startsWith('ExecStart='));
  assert.ok(line, 'the unit has an ExecStart');
  return line
    .slice('ExecStart='.length)
    .trim()
    .split(/\s+/)
    .flatMap((w) => (w.startsWith('$') ? (env[w.slice(1)] ?? '').split(' ').filter(Boolean) : [w]));
}

describe('deploy/systemd units', () => {
  const t = tempDir('systemd');
  after(() => t.cleanup());
  const move = (args: string[]) =>
    args.map((a) =>
      a
        .replace('/etc/mkube', join(t.dir, 'etc'))
        .replace('/var/lib/mkube', join(t.dir, 'var'))
        .replace('/var/lib/kubelet', join(t.dir, 'kubelet')),
    );

  it('are the five daemons, each run by /usr/local/bin/mkube', () => {
    assert.deepEqual(readdirSync(UNITS).sort(), [
      'mkube-apiserver.service',
      'mkube-controller-manager.service',
      'mkube-kubelet.service',
      'mkube-metrics-server.service',
      'mkube-scheduler.service',
    ]);
  });

  it('load as each daemon would load them', async () => {
    const pki = await runCli(['pki', 'init', `--dir=${join(t.dir, 'etc')}`, '--advertise-address=10.0.0.10']);
    assert.equal(pki.code, 0, pki.err);
    const unit = (name: string, env: Record<string, string> = {}) => {
      const words = execStart(readFileSync(join(UNITS, name), 'utf8'), env);
      assert.equal(words[0], '/usr/local/bin/mkube');
      return { sub: words[1], args: move(words.slice(2)) };
    };

    const api = unit('mkube-apiserver.service');
    assert.equal(api.sub, 'apiserver');
    const a = parseFlags(APISERVER_FLAGS, api.args);
    const apiCfg = loadApiServerConfig(a.flags, a.given);
    assert.ok(
      apiCfg.kubelet.certPem && apiCfg.kubelet.caPem,
      'the apiserver reaches kubelets with its own client certificate',
    );

    const kcm = unit('mkube-controller-manager.service');
    assert.equal(kcm.sub, 'controller-manager');
    const k = parseFlags(CONTROLLER_MANAGER_FLAGS, kcm.args);
    const kcmCfg = await loadControllerManagerConfig(k.flags, k.given);
    assert.ok(
      [...kcmCfg.enabled].some((n) => n.startsWith('bootstrap-signer')),
      [...kcmCfg.enabled].join(','),
    );

    const sched = unit('mkube-scheduler.service');
    assert.equal(sched.sub, 'scheduler');
    const sf = parseFlags(SCHEDULER_FLAGS, sched.args);
    const schedCfg = await loadSchedulerConfig(sf.flags, sf.given);
    assert.deepEqual(schedCfg.profiles, ['default-scheduler']);

    // The files `mkube addon metrics-server --address=10.0.0.10` writes (its API objects need a cluster).
    await ensureMetricsServerCredentials(
      new PkiDir(join(t.dir, 'etc')),
      join(t.dir, 'etc'),
      'https://10.0.0.10:6443',
      'ecdsa-p256',
      () => {},
      '10.0.0.10',
    );
    const ms = unit('mkube-metrics-server.service');
    assert.equal(ms.sub, 'metrics-server');
    const msCfg = await loadMetricsServerConfig(parseFlags(METRICS_SERVER_FLAGS, ms.args).flags);
    assert.equal(msCfg.resolutionMs, 15_000);
    assert.ok(msCfg.kubelet.caPem && msCfg.kubelet.certPem, 'kubelets verified, and asked with its own certificate');
    assert.equal(msCfg.secureServing?.port, 4443);

    // What `mkube token create --print-join-command` prints, and the machine's address.
    const kubelet = unit('mkube-kubelet.service', {
      KUBELET_EXTRA_ARGS: `--server=https://10.0.0.10:6443 --bootstrap-token=abcdef.0123456789abcdef --discovery-token-ca-cert-hash=sha256:${'a'.repeat(64)} --node-ip=10.0.0.21`,
    });
    assert.equal(kubelet.sub, 'kubelet');
    // deploy/kubelet/config.yaml installed as /var/lib/kubelet/config.yaml, its paths moved too.
    const kubeletConfig = readFileSync(join(UNITS, '../kubelet/config.yaml'), 'utf8').replaceAll(
      '/etc/mkube',
      join(t.dir, 'etc'),
    );
    mkdirSync(join(t.dir, 'kubelet'), { recursive: true });
    writeFileSync(join(t.dir, 'kubelet/config.yaml'), kubeletConfig);
    const kp = parseFlags(KUBELET_FLAGS, kubelet.args);
    const kl = loadKubeletConfig(kp.flags, kp.given);
    assert.equal(kl.rotateServerCertificates, true);
    assert.equal(kl.clientCAFile, join(t.dir, 'etc/pki/ca.crt'));
    assert.deepEqual([kl.anonymousAuth, kl.webhookAuthentication, kl.authorizationMode], [false, true, 'Webhook']);
    assert.deepEqual(kl.nodeIPs, ['10.0.0.21']);
    assert.ok(kl.discovery);
  });
});
