// Flags and --config into one checked SchedulerConfig, as kube-scheduler's Options build it: the
// defaults, the file's fields and its precedence rules, and the errors that name the file and field.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, parseFlags } from '@mkube/shared/flags';
import { loadSchedulerConfig, runScheduler, SCHEDULER_FLAGS } from '../src/main.ts';
import { newProfile } from '../src/profile.ts';

const dir = mkdtempSync(join(tmpdir(), 'mkube-scheduler-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(name: string, server: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: u, user: {token: abc}}]',
      'contexts: [{name: x, context: {cluster: c, user: u}}]',
      'current-context: x',
      '',
    ].join('\n'),
  );
  return file;
}

const flagKubeconfig = kubeconfig('flag.conf', 'https://127.0.0.1:6443');
const fileKubeconfig = kubeconfig('file.conf', 'https://127.0.0.1:7443');

function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

function load(args: string[]) {
  const p = parseFlags(SCHEDULER_FLAGS, ['--secure-port=0', ...args]);
  return loadSchedulerConfig(p.flags, p.given);
}

async function problems(args: string[]): Promise<string> {
  try {
    await load(args);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

describe('scheduler flags', () => {
  it('has kube-scheduler defaults', () => {
    const { flags } = parseFlags(SCHEDULER_FLAGS, []);
    assert.equal(flags['secure-port'], 10259);
    assert.equal(flags['bind-address'], '0.0.0.0');
    assert.deepEqual(flags['authorization-always-allow-paths'], ['/healthz', '/readyz', '/livez']);
    assert.equal(flags['leader-elect'], true);
    assert.equal(flags['leader-elect-resource-name'], 'kube-scheduler');
    assert.equal(flags['leader-elect-resource-namespace'], 'kube-system');
    assert.equal(flags['leader-elect-lease-duration'], 15_000);
    assert.equal(flags['kube-api-qps'], 50);
    assert.equal(flags['kube-api-burst'], 100);
    assert.equal(flags['pod-max-in-unschedulable-pods-duration'], 300_000);
    const names = SCHEDULER_FLAGS.map((f) => f.name);
    assert.equal(new Set(names).size, names.length, 'no flag twice');
  });

  it('builds the configuration from flags alone', async () => {
    const c = await load([`--kubeconfig=${flagKubeconfig}`, '-v=4', '--kube-api-qps=5']);
    assert.equal(c.credentials.server, 'https://127.0.0.1:6443');
    assert.deepEqual(c.profiles, ['default-scheduler']);
    assert.equal(c.podInitialBackoffMs, 1000);
    assert.equal(c.podMaxBackoffMs, 10_000);
    assert.equal(c.podMaxInUnschedulablePodsDurationMs, 300_000);
    assert.equal(c.qps, 5);
    assert.equal(c.verbosity, 4);
    assert.deepEqual(c.leaderElection, {
      namespace: 'kube-system',
      name: 'kube-scheduler',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2000,
    });
    assert.equal((await load([`--kubeconfig=${flagKubeconfig}`, '--leader-elect=false'])).leaderElection, undefined);
  });

  it('requires a kubeconfig', async () => {
    assert.match(await problems([]), /^--kubeconfig: required: the scheduler reaches the apiserver through it$/m);
  });
});

describe('--config', () => {
  it('takes the KubeSchedulerConfiguration, with only the leader election flags given overriding it', async () => {
    const f = file(
      'ok.yaml',
      [
        'apiVersion: kubescheduler.config.k8s.io/v1',
        'kind: KubeSchedulerConfiguration',
        'clientConnection:',
        `  kubeconfig: ${fileKubeconfig}`,
        '  qps: 20',
        '  burst: 40',
        'leaderElection:',
        '  leaderElect: true',
        '  resourceName: from-file',
        '  leaseDuration: 30s',
        'percentageOfNodesToScore: 50',
        'podInitialBackoffSeconds: 2',
        'podMaxBackoffSeconds: 20',
        'profiles:',
        '  - schedulerName: default-scheduler',
        '  - schedulerName: batch',
        '',
      ].join('\n'),
    );
    const c = await load([`--config=${f}`, `--kubeconfig=${flagKubeconfig}`, '--leader-elect-resource-namespace=ops']);
    assert.equal(c.credentials.server, 'https://127.0.0.1:7443', '--kubeconfig is ignored with --config');
    assert.deepEqual(c.profiles, ['default-scheduler', 'batch']);
    assert.equal(c.podInitialBackoffMs, 2000);
    assert.equal(c.podMaxBackoffMs, 20_000);
    assert.equal(c.percentageOfNodesToScore, 50);
    assert.equal(c.qps, 20);
    assert.deepEqual(c.leaderElection, {
      namespace: 'ops',
      name: 'from-file',
      leaseDurationMs: 30_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2000,
    });
  });

  it('names the file and the unknown field', async () => {
    const f = file(
      'unknown.yaml',
      [
        'apiVersion: kubescheduler.config.k8s.io/v1',
        'kind: KubeSchedulerConfiguration',
        'profiles:',
        '  - schedulerName: default-scheduler',
        '    scheduler: typo',
        '',
      ].join('\n'),
    );
    assert.equal(
      await problems([`--config=${f}`]),
      `--config "${f}": strict decoding error: unknown field "profiles[0].scheduler"`,
    );
  });

  it('refuses another apiVersion or kind, wrong types, and plugin settings it cannot honour', async () => {
    const v1beta3 = file(
      'old.yaml',
      'apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\n',
    );
    assert.equal(
      await problems([`--config=${v1beta3}`]),
      `--config "${v1beta3}": no kind "KubeSchedulerConfiguration" is registered for version "kubescheduler.config.k8s.io/v1beta3"`,
    );
    const kind = file('kind.json', '{"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeletConfiguration"}');
    assert.match(await problems([`--config=${kind}`]), /no kind "KubeletConfiguration" is registered/);
    const typed = file(
      'typed.yaml',
      'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\npodMaxBackoffSeconds: ten\n',
    );
    assert.match(
      await problems([`--config=${typed}`]),
      /json: cannot unmarshal string into Go struct field KubeSchedulerConfiguration\.podMaxBackoffSeconds of type int32/,
    );
    const plugins = file(
      'plugins.yaml',
      [
        'apiVersion: kubescheduler.config.k8s.io/v1',
        'kind: KubeSchedulerConfiguration',
        'profiles:',
        '  - schedulerName: x',
        '    plugins: {filter: {disabled: [{name: NoSuchPlugin}]}}',
        '',
      ].join('\n'),
    );
    assert.match(
      await problems([`--config=${plugins}`]),
      /profiles\[0\]\.plugins\.filter\.disabled: plugin "NoSuchPlugin" does not exist/,
    );
  });

  it('takes a profile\'s plugins: defaults disabled by name or "*", enabled again, weights set', async () => {
    const f = file(
      'plugins-ok.yaml',
      [
        'apiVersion: kubescheduler.config.k8s.io/v1',
        'kind: KubeSchedulerConfiguration',
        `clientConnection: {kubeconfig: ${fileKubeconfig}}`,
        'profiles:',
        '  - schedulerName: a',
        '    plugins:',
        '      multiPoint: {disabled: [{name: InterPodAffinity}, {name: DefaultPreemption}]}',
        '      filter: {disabled: [{name: PodTopologySpread}]}',
        '      score: {disabled: [{name: "*"}], enabled: [{name: PodTopologySpread, weight: 5}]}',
        '  - schedulerName: b',
        '',
      ].join('\n'),
    );
    const c = await load([`--config=${f}`]);
    const a = c.pluginSelections?.a;
    assert.ok(a);
    assert.equal(c.pluginSelections?.b, undefined);
    assert.deepEqual([...a.filterDisabled].sort(), ['InterPodAffinity', 'PodTopologySpread']);
    assert.ok(a.scoreDisabled.has('InterPodAffinity') && a.scoreDisabled.has('NodeAffinity'));
    assert.ok(!a.scoreDisabled.has('PodTopologySpread'));
    const fwk = newProfile('a', { plugins: a });
    assert.ok(!fwk.filterPlugins.some((p) => p.name === 'InterPodAffinity' || p.name === 'PodTopologySpread'));
    assert.deepEqual(
      fwk.scorePlugins.map((p) => [p.name, p.weight]),
      [['PodTopologySpread', 5]],
    );
    const dflt = newProfile('b');
    assert.deepEqual(
      dflt.scorePlugins.map((p) => [p.name, p.weight]),
      [
        ['TaintToleration', 3],
        ['NodeAffinity', 2],
        ['NodeResourcesFit', 1],
        ['PodTopologySpread', 2],
        ['InterPodAffinity', 2],
        ['NodeResourcesBalancedAllocation', 1],
      ],
    );
    assert.deepEqual(dflt.filterPlugins.map((p) => p.name).slice(-2), ['PodTopologySpread', 'InterPodAffinity']);
    const enableOther = file(
      'plugins-enable.yaml',
      [
        'apiVersion: kubescheduler.config.k8s.io/v1',
        'kind: KubeSchedulerConfiguration',
        `clientConnection: {kubeconfig: ${fileKubeconfig}}`,
        'profiles: [{plugins: {score: {enabled: [{name: ImageLocality}]}}}]',
        '',
      ].join('\n'),
    );
    assert.match(await problems([`--config=${enableOther}`]), /"ImageLocality" not supported/);
  });

  it("takes VolumeBinding's args from a profile's pluginConfig, and only those", async () => {
    const cfg = (name: string, pluginConfig: string) =>
      file(
        name,
        [
          'apiVersion: kubescheduler.config.k8s.io/v1',
          'kind: KubeSchedulerConfiguration',
          `clientConnection: {kubeconfig: ${fileKubeconfig}}`,
          'profiles:',
          '  - schedulerName: a',
          `    pluginConfig: ${pluginConfig}`,
          '  - schedulerName: b',
          '',
        ].join('\n'),
      );
    const ok = await load([`--config=${cfg('vb.yaml', '[{name: VolumeBinding, args: {bindTimeoutSeconds: 30}}]')}`]);
    assert.deepEqual(ok.volumeBindingArgs, { a: { bindTimeoutSeconds: 30 } });
    assert.match(
      await problems([`--config=${cfg('vb-neg.yaml', '[{name: VolumeBinding, args: {bindTimeoutSeconds: -1}}]')}`]),
      /bindTimeoutSeconds: Invalid value: -1: invalid BindTimeoutSeconds, should not be a negative value/,
    );
    assert.match(
      await problems([`--config=${cfg('nr.yaml', '[{name: NodeResourcesFit, args: {}}]')}`]),
      /profiles\[0\]\.pluginConfig\[0\]\.name: not supported/,
    );
  });

  it('lists every validation problem', async () => {
    const f = file(
      'invalid.yaml',
      [
        'apiVersion: kubescheduler.config.k8s.io/v1',
        'kind: KubeSchedulerConfiguration',
        `clientConnection: {kubeconfig: ${fileKubeconfig}}`,
        'percentageOfNodesToScore: 101',
        'podInitialBackoffSeconds: 5',
        'podMaxBackoffSeconds: 1',
        'profiles: [{schedulerName: a}, {schedulerName: a}, {}]',
        '',
      ].join('\n'),
    );
    const lines = (await problems([`--config=${f}`])).split('\n').map((l) => l.replace(`--config "${f}": `, ''));
    assert.deepEqual(lines, [
      'percentageOfNodesToScore: Invalid value: 101: not in valid range [0-100]',
      'podMaxBackoffSeconds: Invalid value: 1: must be greater than or equal to PodInitialBackoffSeconds',
      'profiles[1].schedulerName: Duplicate value: "a"',
      'profiles[2].schedulerName: Required value',
    ]);
  });

  it('makes runScheduler exit 1 with the problems on stderr', async () => {
    let err = '';
    const stderr = {
      write(s: string) {
        err += s;
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    const code = await runScheduler(parseFlags(SCHEDULER_FLAGS, ['--secure-port=0']).flags, new Set(), { stderr });
    assert.equal(code, 1);
    assert.equal(
      err,
      'error: invalid scheduler configuration:\n--kubeconfig: required: the scheduler reaches the apiserver through it\n',
    );
  });
});
