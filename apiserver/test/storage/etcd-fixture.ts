// Real etcd members for the tests, on loopback, with mutual TLS from a PKI written by `mkube pki
// init` into a temp folder (client, server and peer certificates from the etcd CA).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initPki } from '../../../cli/src/pki/init.ts';
import { type EtcdMember, type RunningEtcdCluster, startEtcdCluster } from '../../../cli/src/up/etcd.ts';
import { freePort } from '../../../e2e/src/harness.ts';

export interface EtcdFixture {
  readonly dir: string;
  readonly pkiDir: string;
  readonly cluster: RunningEtcdCluster;
  readonly members: readonly EtcdMember[];
  /** The apiserver's client pair and the etcd CA, PEM. */
  readonly tls: { caPem: string; certPem: string; keyPem: string };
  /** The --etcd-* flags for an apiserver. */
  apiserverFlags(prefix?: string): string[];
  stop(): Promise<void>;
}

/** `mkube pki init` into `dir`: the etcd CA, server/peer pairs for 127.0.0.1, the apiserver's client pair. */
export async function writeEtcdPki(dir: string): Promise<void> {
  await initPki({
    dir,
    keyType: 'ecdsa-p256',
    identity: {
      nodeName: 'cp-1',
      hostName: 'cp-1',
      advertiseAddress: '127.0.0.1',
      firstServiceIp: '10.96.0.1',
      extraSans: [],
    },
    server: 'https://127.0.0.1:6443',
    log: () => {},
  });
}

export async function startEtcdFixture(memberCount = 1): Promise<EtcdFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'mkube-etcd-'));
  try {
    await writeEtcdPki(dir);
    const pkiDir = join(dir, 'pki');
    const members: EtcdMember[] = [];
    for (let i = 0; i < memberCount; i++) {
      members.push({
        name: `etcd${i}`,
        clientUrl: `https://127.0.0.1:${await freePort()}`,
        peerUrl: `https://127.0.0.1:${await freePort()}`,
      });
    }
    const cluster = await startEtcdCluster({ pkiDir, dataDir: dir, members, progressNotifyInterval: '1s' });
    const p = (f: string) => join(pkiDir, f);
    const tls = {
      caPem: readFileSync(p('etcd/ca.crt'), 'utf8'),
      certPem: readFileSync(p('apiserver-etcd-client.crt'), 'utf8'),
      keyPem: readFileSync(p('apiserver-etcd-client.key'), 'utf8'),
    };
    return {
      dir,
      pkiDir,
      cluster,
      members,
      tls,
      apiserverFlags: (prefix = '/registry') => [
        `--etcd-servers=${cluster.clientUrls.join(',')}`,
        `--etcd-cafile=${p('etcd/ca.crt')}`,
        `--etcd-certfile=${p('apiserver-etcd-client.crt')}`,
        `--etcd-keyfile=${p('apiserver-etcd-client.key')}`,
        `--etcd-prefix=${prefix}`,
      ],
      async stop() {
        await cluster.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
