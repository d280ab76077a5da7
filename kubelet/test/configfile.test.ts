// --config: a KubeletConfiguration file under the flags. Decoded as upstream's loader does (YAML or
// JSON, apiVersion/kind, field types, unknown fields, relative paths against the file's folder), the
// v1beta1 defaults where the file is silent, and flags given on the command line over the file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, parseFlags } from '@mkube/shared/flags';
import { MKUBE_BIN } from '../../e2e/src/harness.ts';
import { selfSignedP256 } from '../../shared/test/helpers/openssl.ts';
import { KUBELET_FLAGS, type KubeletConfig, loadKubeletConfig } from '../src/main.ts';

const dir = mkdtempSync(join(tmpdir(), 'mkube-kubeletconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HEAD = 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n';
const BASE = ['--kubeconfig=/tmp/kubelet.conf', '--hostname-override=node-x', '--node-ip=10.0.0.5'];

let n = 0;
function file(text: string, name = `config-${++n}.yaml`): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function load(args: string[]): KubeletConfig {
  const p = parseFlags(KUBELET_FLAGS, [...BASE, ...args]);
  return loadKubeletConfig(p.flags, p.given);
}

function error(args: string[]): string {
  try {
    load(args);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  return assert.fail('expected a ConfigError');
}

/** The settings auditors look at, from a loaded config. */
const security = (c: KubeletConfig) => ({
  anonymous: c.anonymousAuth,
  webhook: c.webhookAuthentication,
  authnTTL: c.authenticationCacheTtlMs,
  mode: c.authorizationMode,
  allowedTTL: c.authorizedTtlMs,
  deniedTTL: c.unauthorizedTtlMs,
  address: c.address,
  port: c.port,
  rotate: c.rotateCertificates,
  serverTLSBootstrap: c.rotateServerCertificates,
});

const re = (s: string) => new RegExp(`^${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm');

describe('kubelet --config: decoding and defaults', () => {
  it('applies the v1beta1 defaults for what the file leaves out (anonymous off, webhook authn, Webhook authz)', () => {
    const c = load([`--config=${file(HEAD)}`]);
    assert.deepEqual(security(c), {
      anonymous: false,
      webhook: true,
      authnTTL: 120_000,
      mode: 'Webhook',
      allowedTTL: 300_000,
      deniedTTL: 30_000,
      address: '0.0.0.0',
      port: 10250,
      rotate: false,
      serverTLSBootstrap: false,
    });
    assert.equal(c.nodeLeaseDurationSeconds, 40);
    assert.equal(c.nodeStatusUpdateFrequencyMs, 10_000);
    assert.deepEqual(c.tls, { minVersion: 'TLSv1.2', minVersionName: '', cipherSuites: [], warnings: [] });
    assert.deepEqual(c.configFile, { path: join(dir, `config-${n}.yaml`), ignoredFields: [] });
  });

  it('maps every field mkube implements, paths relative to the file, Go durations', () => {
    mkdirSync(join(dir, 'etc/pki'), { recursive: true });
    selfSignedP256(join(dir, 'etc/pki'), '/CN=kubernetes');
    const cfg = file(
      `${HEAD}address: 127.0.0.9
port: 10260
readOnlyPort: 0
tlsCertFile: pki/c.pem
tlsPrivateKeyFile: pki/k.pem
tlsCipherSuites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]
tlsMinVersion: VersionTLS12
rotateCertificates: true
serverTLSBootstrap: true
authentication:
  x509: {clientCAFile: pki/c.pem}
  webhook: {enabled: true, cacheTTL: 1m30s}
  anonymous: {enabled: false}
authorization:
  mode: AlwaysAllow
  webhook: {cacheAuthorizedTTL: 5m0s, cacheUnauthorizedTTL: 45s}
staticPodPath: manifests
nodeStatusUpdateFrequency: 20s
nodeLeaseDurationSeconds: 60
`,
      'etc/config.yaml',
    );
    const c = load([`--config=${cfg}`]);
    assert.deepEqual(security(c), {
      anonymous: false,
      webhook: true,
      authnTTL: 90_000,
      mode: 'AlwaysAllow',
      allowedTTL: 300_000,
      deniedTTL: 45_000,
      address: '127.0.0.9',
      port: 10260,
      rotate: true,
      serverTLSBootstrap: true,
    });
    assert.equal(c.clientCAFile, join(dir, 'etc/pki/c.pem'));
    assert.equal(c.tlsCertFile, join(dir, 'etc/pki/c.pem'));
    assert.equal(c.tlsPrivateKeyFile, join(dir, 'etc/pki/k.pem'));
    assert.equal(c.podManifestPath, join(dir, 'etc/manifests'));
    assert.equal(c.nodeStatusUpdateFrequencyMs, 20_000);
    assert.equal(c.nodeLeaseDurationSeconds, 60);
    assert.equal(c.tls.ciphers, 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384');
  });

  it('reads JSON too, and treats zero values as unset, as upstream defaulting does', () => {
    const c = load([
      `--config=${file(
        JSON.stringify({
          apiVersion: 'kubelet.config.k8s.io/v1beta1',
          kind: 'KubeletConfiguration',
          port: 0,
          address: '',
          authentication: { webhook: { cacheTTL: '0s' }, anonymous: { enabled: null } },
          authorization: { mode: '' },
          nodeLeaseDurationSeconds: 0,
        }),
        'config.json',
      )}`,
    ]);
    assert.equal(c.port, 10250);
    assert.equal(c.address, '0.0.0.0');
    assert.equal(c.authenticationCacheTtlMs, 120_000);
    assert.equal(c.anonymousAuth, false);
    assert.equal(c.authorizationMode, 'Webhook');
    assert.equal(c.nodeLeaseDurationSeconds, 40);
  });

  it('accepts the other v1beta1 fields, listing them as ignored', () => {
    const c = load([
      `--config=${file(`${HEAD}cgroupDriver: systemd\nclusterDNS: [10.96.0.10]\nclusterDomain: cluster.local\nlogging: {format: text}\n`)}`,
    ]);
    assert.deepEqual(c.configFile?.ignoredFields, ['cgroupDriver', 'clusterDNS', 'clusterDomain', 'logging']);
  });
});

describe('kubelet --config: precedence', () => {
  const cfg = () =>
    file(
      `${HEAD}port: 10260\ntlsMinVersion: VersionTLS12\nauthorization: {mode: Webhook}\nauthentication: {anonymous: {enabled: false}}\n`,
    );

  it('flags given on the command line override the file', () => {
    const c = load([
      `--config=${cfg()}`,
      '--port=10270',
      '--anonymous-auth=true',
      '--authorization-mode=AlwaysAllow',
      '--tls-min-version=VersionTLS13',
    ]);
    assert.equal(c.port, 10270);
    assert.equal(c.anonymousAuth, true);
    assert.equal(c.authorizationMode, 'AlwaysAllow');
    assert.equal(c.tls.minVersion, 'TLSv1.3');
  });

  it('flag defaults do not: the file’s value (or its default) stands', () => {
    const c = load([`--config=${cfg()}`]);
    assert.equal(c.port, 10260);
    // --rotate-certificates defaults to true as a flag; the file's default is false.
    assert.equal(c.rotateCertificates, false);
  });
});

describe('kubelet --feature-gates and featureGates', () => {
  it('reads the gate from the flag or the file; the flag replaces the file’s whole map, as MapStringBool', () => {
    assert.equal(load([]).featureGates.enabled('ClusterTrustBundleProjection'), false);
    assert.equal(
      load(['--feature-gates=ClusterTrustBundleProjection=true']).featureGates.enabled('ClusterTrustBundleProjection'),
      true,
    );
    const f = file(`${HEAD}featureGates:\n  ClusterTrustBundleProjection: true\nsyncFrequency: 30s\n`);
    const c = load([`--config=${f}`]);
    assert.equal(c.featureGates.enabled('ClusterTrustBundleProjection'), true);
    assert.equal(c.syncFrequencyMs, 30_000);
    assert.deepEqual(c.configFile?.ignoredFields, []);
    assert.equal(
      load([`--config=${f}`, '--feature-gates=ClusterTrustBundle=true']).featureGates.enabled(
        'ClusterTrustBundleProjection',
      ),
      false,
    );
    assert.equal(load([]).syncFrequencyMs, 60_000);
  });

  it('refuses an unknown gate or a bad value, naming the flag or the file’s field', () => {
    assert.match(
      error(['--feature-gates=NoSuchGate=true']),
      /^--feature-gates: unrecognized feature gate: NoSuchGate/m,
    );
    const f = file(`${HEAD}featureGates: {ClusterTrustBundleProjection: "yes"}\n`);
    assert.match(
      error([`--config=${f}`]),
      /cannot unmarshal string into Go struct field KubeletConfiguration.featureGates of type bool/,
    );
    const g = file(`${HEAD}featureGates: {Nope: true}\n`);
    assert.ok(
      error([`--config=${g}`]).includes(`--config "${g}": featureGates: unrecognized feature gate: Nope`),
      'the file and its field are named',
    );
  });
});

describe('kubelet --config: start-up errors', () => {
  it('names a missing or empty file', () => {
    const missing = join(dir, 'nope.yaml');
    assert.match(error([`--config=${missing}`]), re(`--config "${missing}": cannot read file: no such file`));
    const empty = file('');
    assert.match(error([`--config=${empty}`]), re(`--config "${empty}": kubelet config file "${empty}" was empty`));
  });

  it('decodes unknown fields and repeated keys leniently, as upstream, keeping the strict complaint for the log', () => {
    const f = file(`${HEAD}authentication:\n  anonymous: {enabld: true}\nreadOnlyPrt: 0\nPort: 1\n`);
    const c = load([`--config=${f}`]);
    assert.equal(
      c.configFile?.strictError,
      'strict decoding error: unknown field "authentication.anonymous.enabld", unknown field "readOnlyPrt", unknown field "Port"',
    );
    // The misspelt field changed nothing: the v1beta1 defaults stand.
    assert.equal(c.anonymousAuth, false);
    assert.equal(c.port, 10250);
    const dup = file(`${HEAD}port: 10251\nport: 10252\n`);
    const d = load([`--config=${dup}`]);
    assert.equal(
      d.configFile?.strictError,
      'strict decoding error: yaml: unmarshal errors: line 4: key "port" already set in map',
    );
    assert.equal(d.port, 10252, 'the lenient decoder keeps the last value');
    assert.equal(load([`--config=${file(HEAD)}`]).configFile?.strictError, undefined);
  });

  it('defaults nodeStatusReportFrequency as SetDefaults_KubeletConfiguration: 5m, or a nodeStatusUpdateFrequency the file sets', () => {
    const report = (args: string[]) => load(args).nodeStatusReportFrequencyMs;
    assert.equal(report([]), 300_000, 'no file: the v1beta1 default');
    assert.equal(report([`--config=${file(HEAD)}`]), 300_000);
    assert.equal(report([`--config=${file(`${HEAD}nodeStatusUpdateFrequency: 20s\n`)}`]), 20_000);
    assert.equal(report([`--config=${file(`${HEAD}nodeStatusUpdateFrequency: 0s\n`)}`]), 300_000, 'zero is unset');
    assert.equal(
      report([`--config=${file(`${HEAD}nodeStatusUpdateFrequency: 20s\nnodeStatusReportFrequency: 1m\n`)}`]),
      60_000,
    );
    // The flag is laid over a file already defaulted: it does not carry the report frequency with it.
    assert.equal(report([`--config=${file(HEAD)}`, '--node-status-update-frequency=20s']), 300_000);
    assert.equal(report(['--node-status-update-frequency=20s']), 300_000);
    // The kubelet has no flag for it: the file is the only way in.
    assert.throws(() => parseFlags(KUBELET_FLAGS, [...BASE, '--node-status-report-frequency=1m']), /unknown flag/);
    const neg = file(`${HEAD}nodeStatusReportFrequency: -1m\n`);
    assert.match(error([`--config=${neg}`]), re(`--config "${neg}": nodeStatusReportFrequency: must be positive`));
    assert.match(
      error(['--node-status-update-frequency=-10s']),
      re('--node-status-update-frequency: must be positive'),
    );
  });

  it('checks apiVersion, kind and field types', () => {
    assert.match(
      error([`--config=${file('apiVersion: kubelet.config.k8s.io/v1\nkind: KubeletConfiguration\n')}`]),
      /failed to decode: no kind "KubeletConfiguration" is registered for version "kubelet.config.k8s.io\/v1"/,
    );
    assert.match(error([`--config=${file('port: 1\n')}`]), /failed to decode: Object 'Kind' is missing/);
    assert.match(
      error([`--config=${file(`${HEAD}port: "10250"\n`)}`]),
      /json: cannot unmarshal string into Go struct field KubeletConfiguration.port of type int32/,
    );
    assert.match(error([`--config=${file(`${HEAD}nodeStatusUpdateFrequency: 5x\n`)}`]), /time: invalid duration "5x"/);
    assert.match(
      error([`--config=${file(`${HEAD}authentication: {webhook: {enabled: "yes"}}\n`)}`]),
      /cannot unmarshal string into Go struct field KubeletConfiguration.authentication.webhook.enabled of type bool/,
    );
  });

  it('blames the file’s field for a bad value that came from it, the flag for one given', () => {
    const f = file(`${HEAD}tlsMinVersion: VersionTLS14\ntlsCipherSuites: [TLS_NOPE]\nauthorization: {mode: RBAC}\n`);
    const msg = error([`--config=${f}`]);
    assert.match(msg, re(`--config "${f}": tlsMinVersion: unknown tls version "VersionTLS14"`));
    assert.match(msg, re(`--config "${f}": tlsCipherSuites: Cipher suite TLS_NOPE not supported or doesn't exist`));
    assert.match(msg, /authorization.mode: unknown authorization mode "RBAC"/);
    assert.match(
      error([`--config=${f}`, '--tls-min-version=VersionTLS9', '--tls-cipher-suites=TLS_AES_128_GCM_SHA256']),
      re('--tls-min-version: unknown tls version "VersionTLS9"'),
    );
  });

  it('names the TLS flags with upstream’s words', () => {
    assert.match(
      error(['--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,RC4-SHA']),
      re("--tls-cipher-suites: Cipher suite RC4-SHA not supported or doesn't exist"),
    );
    assert.match(error(['--tls-min-version=1.3']), re('--tls-min-version: unknown tls version "1.3"'));
  });

  it('stops `mkube kubelet` with exit 1 and the message', () => {
    const missing = join(dir, 'missing', 'config.yaml');
    const r = spawnSync(process.execPath, [MKUBE_BIN, 'kubelet', ...BASE, `--config=${missing}`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(
      r.stderr,
      `error: invalid kubelet configuration:\n--config "${missing}": cannot read file: no such file\n`,
    );
  });

  it('refuses a read-only port: mkube serves none (and it would be unauthenticated)', () => {
    const f = file(`${HEAD}readOnlyPort: 10255\n`);
    assert.match(
      error([`--config=${f}`]),
      /readOnlyPort: 10255 is not supported: mkube's kubelet serves no read-only port/,
    );
  });
});

describe('kubelet event rate limit (eventRecordQPS, eventBurst)', () => {
  it('takes the flags or the file, upstream’s defaults, and client-go’s for 0', () => {
    assert.deepEqual(load([]).eventRateLimit, { qps: 50, burst: 100 });
    assert.deepEqual(load(['--event-qps=7', '--event-burst=9']).eventRateLimit, { qps: 7, burst: 9 });
    const f = file(`${HEAD}eventRecordQPS: 0\neventBurst: 20\n`);
    assert.deepEqual(load([`--config=${f}`]).eventRateLimit, { qps: 5, burst: 20 });
    assert.match(error(['--event-qps=-1']), /eventRecordQPS \(--event-qps\) -1 must not be a negative number/);
  });
});
