// The controller-manager's secure port (10257) with --tls-min-version and --tls-cipher-suites, as
// CIS auditors check them with openssl s_client, and the start-up errors for bad names.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, parseFlags } from '@mkube/shared/flags';
import { freePort } from '../../e2e/src/harness.ts';
import { assertDefaults, assertOnlyAES256, assertTLS13Only, sClient } from '../../shared/test/helpers/tlsprobe.ts';
import { CONTROLLER_MANAGER_FLAGS, loadControllerManagerConfig } from '../src/main.ts';
import { type Cluster, startCluster } from './fixture.ts';

describe('controller-manager secure port TLS options', () => {
  let cl: Cluster;
  const ports = { tls13: 0, aes256: 0, plain: 0 };
  before(async () => {
    cl = await startCluster();
    for (const [k, extra] of [
      ['tls13', ['--tls-min-version=VersionTLS13']],
      ['aes256', ['--tls-cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', '--tls-min-version=VersionTLS12']],
      ['plain', []],
    ] as const) {
      ports[k] = await freePort();
      await cl.startKcm(['--leader-elect=false', `--secure-port=${ports[k]}`, '--bind-address=127.0.0.1', ...extra]);
    }
  });
  after(async () => cl?.close());

  it('--tls-min-version=VersionTLS13 refuses a TLS 1.2 client', async () => {
    await assertTLS13Only(ports.tls13);
  });

  it('--tls-cipher-suites narrows TLS 1.2 to the listed suite (the self-signed key is ECDSA)', async () => {
    await assertOnlyAES256(ports.aes256);
  });

  it('serves TLS 1.2 with the default suites without either flag', async () => {
    await assertDefaults(ports.plain);
    assert.equal((await sClient(ports.plain, ['-tls1_3'])).protocol, 'TLSv1.3');
  });

  it('fails start-up naming the flag, in upstream’s words', async () => {
    const load = async (extra: string[]) => {
      const p = parseFlags(CONTROLLER_MANAGER_FLAGS, cl.kcmArgs(['--secure-port=10999', ...extra]));
      try {
        await loadControllerManagerConfig(p.flags, p.given);
      } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.message;
      }
      return assert.fail('expected a ConfigError');
    };
    assert.match(await load(['--tls-min-version=TLS1.3']), /^--tls-min-version: unknown tls version "TLS1\.3"$/m);
    assert.match(
      await load(['--tls-cipher-suites=ECDHE-ECDSA-AES256-GCM-SHA384']),
      /^--tls-cipher-suites: Cipher suite ECDHE-ECDSA-AES256-GCM-SHA384 not supported or doesn't exist$/m,
    );
  });
});
