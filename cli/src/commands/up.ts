import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiCatalogFor, RuntimeConfigError } from '@mkube/apiserver';
import { HOST_PATH_PROVISIONER } from '@mkube/shared/api';
import { FeatureGateError, parseFeatureGates } from '@mkube/shared/featuregate';
import type { FlagSpec } from '@mkube/shared/flags';
import { CliError, type Command } from '../command.js';
import { PkiDir } from '../pki/files.js';
import { initPki } from '../pki/init.js';
import { clientFromKubeconfig } from '../token/client.js';
import { ensureClusterInfo } from '../up/clusterinfo.js';
import { type RunningDaemon, startDaemon } from '../up/daemon.js';
import { localMembers, startEtcdCluster } from '../up/etcd.js';
import { apiserverUrls, pointKubeconfig } from '../up/ha.js';
import { applyMetricsServerObjects, ensureMetricsServerCredentials } from '../up/metricsserver.js';
import { ensureBootstrapKubeconfig, kubeletArgs, planNodes, prepareNode, writeKubeletConfig } from '../up/nodes.js';
import { removePid, runningUp, writePid } from '../up/pidfile.js';
import { followJoin } from '../up/progress.js';
import { waitLeader, waitReady } from '../up/ready.js';
import { DEFAULT_STORAGE_CLASS, ensureDefaultStorageClass } from '../up/storageclass.js';
import { PKI_INIT_FLAGS, pkiInitParams } from './pki.js';

const MKUBE_BIN = fileURLToPath(new URL('../../bin/mkube.js', import.meta.url));
const READY_LINE = 'Ctrl-C stops the cluster.';

export const DATA_DIR_FLAG = 'data-dir';

const UP_FLAGS: readonly FlagSpec[] = [
  ...PKI_INIT_FLAGS.map((f) => (f.name === 'dir' ? { ...f, name: DATA_DIR_FLAG } : f)),
  { name: 'nodes', type: 'int', default: 2, usage: 'How many kubelets (nodes) to run, each its own process' },
  {
    name: 'kubelet-port',
    type: 'int',
    default: 10250,
    usage: "The kubelets' port (each on its own address; where there is none, consecutive ports from this one)",
  },
  {
    name: 'store',
    type: 'string',
    default: 'sqlite',
    usage:
      'The store: sqlite (one apiserver) or etcd (a 3-member etcd cluster, two apiservers on the next ports, two controller-managers electing a leader)',
  },
  {
    name: 'etcd-port',
    type: 'int',
    default: 2379,
    usage: "With --store=etcd: the first etcd member's client port (peers and other members follow)",
  },
  {
    name: 'controller-manager-port',
    type: 'int',
    default: 10257,
    usage:
      "The controller-manager's --secure-port on 127.0.0.1 (/healthz, /metrics with delegated auth; with --store=etcd the second one takes the next port); 0: none",
  },
  {
    name: 'scheduler-port',
    type: 'int',
    default: 10259,
    usage:
      "The scheduler's --secure-port on 127.0.0.1 (/healthz, /metrics with delegated auth; with --store=etcd the second one takes the next port); 0: none",
  },
  {
    name: 'metrics-server-port',
    type: 'int',
    default: 4443,
    usage:
      "metrics-server's --secure-port on 127.0.0.1, serving metrics.k8s.io (kubectl top) through the aggregation layer; 0: none",
  },
  {
    name: 'signing-duration',
    type: 'duration',
    usage: "The controller-manager's --cluster-signing-duration (default 8760h): short values show rotation",
  },
  {
    name: 'apiserver-arg',
    type: 'stringArray',
    usage:
      "A flag for the apiservers, as kubeadm's apiServer.extraArgs (repeatable: --apiserver-arg=--profiling=false); after mkube's own, so it wins (a list flag adds to them)",
  },
  {
    name: 'controller-manager-arg',
    type: 'stringArray',
    usage: "A flag for the controller-managers, as kubeadm's controllerManager.extraArgs (repeatable)",
  },
  {
    name: 'scheduler-arg',
    type: 'stringArray',
    usage: "A flag for the schedulers, as kubeadm's scheduler.extraArgs (repeatable)",
  },
  {
    name: 'kubelet-arg',
    type: 'stringArray',
    usage: "A flag for every kubelet, as kubeadm's KUBELET_EXTRA_ARGS (repeatable: --kubelet-arg=--event-qps=10)",
  },
  {
    name: 'audit-policy-file',
    type: 'string',
    usage:
      "The apiservers' --audit-policy-file (an audit.k8s.io/v1 Policy); events go to <data-dir>/logs/audit.log (audit-2.log for the second apiserver)",
  },
  {
    name: 'authentication-config',
    type: 'string',
    usage:
      "The apiservers' --authentication-config (an apiserver.config.k8s.io AuthenticationConfiguration: OIDC/JWT issuers, anonymous paths); reloaded when it changes",
  },
  {
    name: 'authorization-config',
    type: 'string',
    usage:
      "The apiservers' --authorization-config (an apiserver.config.k8s.io AuthorizationConfiguration) in place of --authorization-mode=Node,RBAC; keep Node and RBAC in it for the kubelets and controllers",
  },
  {
    name: 'admission-control-config-file',
    type: 'string',
    usage:
      "The apiservers' --admission-control-config-file (an AdmissionConfiguration: PodSecurity defaults and exemptions, the webhook plugins' kubeConfigFile)",
  },
  {
    name: 'encryption-provider-config',
    type: 'string',
    usage:
      "The apiservers' --encryption-provider-config (an EncryptionConfiguration: aescbc, aesgcm, secretbox, identity, or a KMS v2 plugin such as `mkube kms-plugin`)",
  },
  {
    name: 'feature-gates',
    type: 'stringSlice',
    metavar: 'mapStringBool',
    usage:
      "Feature gates (Name=true|false,…) for every daemon, as kind's featureGates: ClusterTrustBundle (apiservers, controller-managers), ClusterTrustBundleProjection (apiservers, kubelets), PodCertificateRequest (apiservers, controller-managers, kubelets; signed by `mkube podcert-signer`)",
  },
  {
    name: 'runtime-config',
    type: 'stringSlice',
    metavar: 'mapStringString',
    usage:
      "The apiservers' --runtime-config, as kind's runtimeConfig (e.g. certificates.k8s.io/v1beta1/clustertrustbundles=true)",
  },
  { name: 'reset', type: 'bool', usage: 'Delete the data dir first (its CA, certificates, store) and start over' },
  { name: 'detach', type: 'bool', usage: 'Run in the background; "mkube down" stops it' },
  { name: 'v', type: 'int', default: 0, usage: "The daemons' log verbosity" },
];

/** --reset deletes only what is recognisably an mkube data dir. */
function resetDataDir(dir: string): void {
  if (!existsSync(dir)) return;
  const entries = readdirSync(dir);
  if (entries.length > 0 && !existsSync(join(dir, 'pki', 'ca.crt')) && !existsSync(join(dir, 'admin.conf')))
    throw new CliError(`--reset: ${dir} does not look like an mkube data dir (no pki/ca.crt); not deleting it`);
  rmSync(dir, { recursive: true, force: true });
}

/** `--detach`: the same command in the background, logging to <data-dir>/logs/up.log. */
async function detach(argv: readonly string[], dataDir: string, stdout: NodeJS.WritableStream): Promise<number> {
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const logFile = join(dataDir, 'logs', 'up.log');
  const fd = openSync(logFile, 'w', 0o600);
  const args = argv.filter((a) => a !== '--detach' && a !== '--detach=true');
  const child = spawn(process.execPath, [MKUBE_BIN, 'up', ...args], { detached: true, stdio: ['ignore', fd, fd] });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  child.unref();
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const text = readFileSync(logFile, 'utf8');
    if (text.includes(READY_LINE) || exited) {
      stdout.write(
        text.replace(
          READY_LINE,
          `Running in the background (pid ${child.pid}); "mkube down --data-dir=${dataDir}" stops it.`,
        ),
      );
      return exited ? 1 : 0;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  stdout.write(readFileSync(logFile, 'utf8'));
  throw new CliError(`the cluster did not come up in 180 s; see ${logFile} ("mkube down" stops it)`);
}

export const upCommand: Command = {
  name: 'up',
  summary: 'Bring up the local cluster',
  description:
    'Bring up the embedded local cluster under --data-dir: write (or reuse) the cluster PKI, kubeconfigs and a\n' +
    'bootstrap token, then run the apiserver (SQLite store), the controller-manager, the scheduler and --nodes\n' +
    'kubelets, each its own process talking only over mutual TLS, as separate machines would. Kubelets listen\n' +
    'on 127.0.0.2, 127.0.0.3, … where the OS allows (distinct ports on 127.0.0.1 elsewhere) and join by TLS\n' +
    'bootstrap. Re-running reuses the data dir: same CA, same nodes, no new CSRs while certificates are valid.\n' +
    'With --store=etcd: three etcd members (peer and client mutual TLS), two apiservers on them (the second on\n' +
    'the next port), two controller-managers and two schedulers electing leaders, and kubelets preferring either\n' +
    'apiserver. Every kubeconfig names both apiservers (the mkube.io/apiservers extension, which kubectl\n' +
    "ignores), so mkube's clients fail over when one stops.",
  usage: 'up [flags]',
  examples: [
    'mkube up',
    'npm start',
    'mkube up --nodes=3 --signing-duration=1h',
    'mkube up --detach && kubectl --kubeconfig=.mkube/admin.conf get nodes && mkube down',
    'mkube up --store=etcd --nodes=3',
    'mkube up --reset',
  ],
  flags: UP_FLAGS,
  async run({ args, stdout, signal }) {
    const dataDir = resolve(args.flags[DATA_DIR_FLAG] as string);
    const nodesCount = args.flags.nodes as number;
    if (!Number.isInteger(nodesCount) || nodesCount < 0 || nodesCount > 50)
      throw new CliError(`--nodes: ${nodesCount} is not between 0 and 50`);
    const store = args.flags.store as string;
    if (store !== 'sqlite' && store !== 'etcd')
      throw new CliError(`--store: unknown store "${store}" (sqlite or etcd)`);
    const running = runningUp(dataDir);
    if (running)
      throw new CliError(`a cluster is already running from ${dataDir} (pid ${running}); "mkube down" stops it`);
    if (args.flags.reset === true) resetDataDir(dataDir);
    if (args.flags.detach === true) {
      const argv = process.argv
        .slice(process.argv.indexOf('up') + 1)
        .filter((a) => a !== '--reset' && a !== '--reset=true');
      return detach(argv, dataDir, stdout);
    }

    // Refused here, before anything starts, with the daemons' own messages.
    const gatePairs = (args.flags['feature-gates'] as string[] | undefined) ?? [];
    const runtimeConfig = (args.flags['runtime-config'] as string[] | undefined) ?? [];
    try {
      apiCatalogFor(runtimeConfig, parseFeatureGates(gatePairs));
    } catch (e) {
      if (e instanceof FeatureGateError) throw new CliError(`--feature-gates: ${e.message}`);
      if (e instanceof RuntimeConfigError) throw new CliError(`--runtime-config: ${e.message}`);
      throw e;
    }
    const gateArgs = gatePairs.length ? [`--feature-gates=${gatePairs.join(',')}`] : [];
    // Extra daemon flags, checked for their shape here; each daemon judges its own and says why.
    const extra = (flag: string): string[] => {
      const list = (args.flags[flag] as string[] | undefined) ?? [];
      for (const a of list)
        if (!/^--[a-z0-9][a-z0-9-]*(=|$)/.test(a))
          throw new CliError(`--${flag}: ${JSON.stringify(a)} is not a flag (expected --name=value)`);
      return list;
    };
    const extraApiserverArgs = extra('apiserver-arg');
    const extraKcmArgs = extra('controller-manager-arg');
    const extraSchedulerArgs = extra('scheduler-arg');
    const extraKubeletArgs = extra('kubelet-arg');
    const runtimeConfigArgs = runtimeConfig.length ? [`--runtime-config=${runtimeConfig.join(',')}`] : [];

    const p = pkiInitParams({ ...args.flags, dir: dataDir });
    await initPki({ ...p, log: (l) => stdout.write(`${l}\n`) });
    const pki = (f: string) => join(p.dir, 'pki', f);
    const v = args.flags.v as number;
    const verbosity = v ? [`--v=${v}`] : [];
    writePid(dataDir);
    // Ctrl-C must stop every daemon whatever phase start-up is in, and nothing may outlive us.
    const stopping = new AbortController();
    const onSignal = () => stopping.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    signal.addEventListener('abort', onSignal, { once: true });
    const stopped = new Promise<void>((r) => stopping.signal.addEventListener('abort', () => r(), { once: true }));
    const daemons: RunningDaemon[] = [];
    const killAll = () => {
      for (const d of daemons) d.proc.kill('SIGKILL');
      removePid(dataDir);
    };
    process.once('exit', killAll);
    let failed = false;
    const start = (name: string, argv: string[]) => {
      stdout.write(`[${name}] starting\n`);
      const d = startDaemon(name, argv, p.dir);
      daemons.push(d);
      return d;
    };
    const ha = store === 'etcd';
    const servers = ha ? apiserverUrls(p.server, 2) : [p.server];
    const names = (base: string) => (ha ? servers.map((_, i) => `${base}-${i + 1}`) : [base]);
    const bringUp = async (): Promise<void> => {
      let storeArgs = [`--data-dir=${join(p.dir, 'apiserver')}`];
      if (ha) {
        const members = localMembers(3, args.flags['etcd-port'] as number);
        stdout.write(`[etcd] starting ${members.length} members (peer and client mutual TLS from pki/etcd)\n`);
        const etcd = await startEtcdCluster({ pkiDir: pki(''), dataDir: p.dir, members }).catch((e: Error) => {
          throw new CliError(`etcd: ${e.message}`);
        });
        daemons.push(...etcd.daemons);
        stdout.write(`[etcd] healthy: ${etcd.clientUrls.join(', ')}\n`);
        storeArgs = [
          `--etcd-servers=${etcd.clientUrls.join(',')}`,
          `--etcd-cafile=${pki('etcd/ca.crt')}`,
          `--etcd-certfile=${pki('apiserver-etcd-client.crt')}`,
          `--etcd-keyfile=${pki('apiserver-etcd-client.key')}`,
        ];
      }
      // The apiservers share one host address, so one of them publishes it in Endpoints default/kubernetes
      // (two addresses that differ only in port would replace each other every 10 s).
      const apis = servers.map((server, i) =>
        start(names('apiserver')[i]!, [
          ...apiserverArgs(new URL(server).port || '6443'),
          ...storeArgs,
          ...(i > 0 ? ['--endpoint-reconciler-type=none'] : []),
          ...auditArgs(i),
          ...authnArgs,
          ...admissionArgs,
          ...encryptionArgs,
        ]),
      );
      const caPem = readFileSync(pki('ca.crt'), 'utf8');
      for (const [i, api] of apis.entries()) {
        if (!(await waitReady(`${servers[i]}/readyz`, caPem, 30_000, Promise.race([api.exited, stopped])))) {
          if (stopping.signal.aborted) return;
          throw new CliError(`${api.name} did not become ready; see ${api.logFile}`);
        }
        stdout.write(`[${api.name}] ready at ${servers[i]} (logs: ${api.logFile})\n`);
      }
      await bringUpRest(apis, caPem);
    };
    const authnConfig = args.flags['authentication-config'] as string | undefined;
    const authnArgs = authnConfig ? [`--authentication-config=${resolve(authnConfig)}`] : [];
    const admissionConfig = args.flags['admission-control-config-file'] as string | undefined;
    const admissionArgs = admissionConfig ? [`--admission-control-config-file=${resolve(admissionConfig)}`] : [];
    const authzConfig = args.flags['authorization-config'] as string | undefined;
    const authzArgs = authzConfig
      ? [`--authorization-config=${resolve(authzConfig)}`]
      : ['--authorization-mode=Node,RBAC'];
    const encryptionConfig = args.flags['encryption-provider-config'] as string | undefined;
    const encryptionArgs = encryptionConfig ? [`--encryption-provider-config=${resolve(encryptionConfig)}`] : [];
    const policy = args.flags['audit-policy-file'] as string | undefined;
    const auditArgs = (i: number): string[] =>
      policy
        ? [
            `--audit-policy-file=${resolve(policy)}`,
            `--audit-log-path=${join(p.dir, 'logs', i ? `audit-${i + 1}.log` : 'audit.log')}`,
            '--audit-log-maxsize=100',
            '--audit-log-maxbackup=5',
          ]
        : [];
    const apiserverArgs = (securePort: string): string[] => [
      'apiserver',
      `--secure-port=${securePort}`,
      `--bind-address=${p.identity.advertiseAddress}`,
      // The range `pki init` took the apiserver certificate's first Service IP from.
      `--service-cluster-ip-range=${args.flags['service-cidr']}`,
      `--tls-cert-file=${pki('apiserver.crt')}`,
      `--tls-private-key-file=${pki('apiserver.key')}`,
      `--client-ca-file=${pki('ca.crt')}`,
      // kubeadm's front proxy: X-Remote-* headers believed only from front-proxy-client's certificate.
      `--requestheader-client-ca-file=${pki('front-proxy-ca.crt')}`,
      '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      // The aggregator presents front-proxy-client to aggregated API servers, as kube-apiserver under kubeadm.
      `--proxy-client-cert-file=${pki('front-proxy-client.crt')}`,
      `--proxy-client-key-file=${pki('front-proxy-client.key')}`,
      // kube-apiserver's default: an ExternalName Service (metrics-server on loopback) is dialled by name.
      '--enable-aggregator-routing=false',
      ...authzArgs,
      '--enable-admission-plugins=NodeRestriction,ServiceAccount',
      // kubeadm's setting (kube-apiserver's default is false).
      '--allow-privileged=true',
      '--enable-bootstrap-token-auth',
      `--service-account-key-file=${pki('sa.pub')}`,
      `--service-account-signing-key-file=${pki('sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--kubelet-client-certificate=${pki('apiserver-kubelet-client.crt')}`,
      `--kubelet-client-key=${pki('apiserver-kubelet-client.key')}`,
      `--kubelet-certificate-authority=${pki('ca.crt')}`,
      // kubeadm's choice: dial the node's IP, which its serving certificate carries.
      '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
      ...gateArgs,
      ...runtimeConfigArgs,
      ...verbosity,
      ...extraApiserverArgs,
    ];
    // kubeadm's secure serving for the controller-manager and the scheduler: loopback only,
    // authentication and authorization delegated to the apiserver with the daemon's own credentials.
    const securePortArgs = (port: number, i: number, conf: string): string[] =>
      port > 0
        ? [
            `--secure-port=${port + i}`,
            '--bind-address=127.0.0.1',
            `--authentication-kubeconfig=${conf}`,
            `--authorization-kubeconfig=${conf}`,
            `--client-ca-file=${pki('ca.crt')}`,
            `--requestheader-client-ca-file=${pki('front-proxy-ca.crt')}`,
          ]
        : ['--secure-port=0'];
    /** Waits for one of `ds` to hold `lease`; false when stopping meanwhile. */
    const leaderElected = async (what: string, lease: string, ds: RunningDaemon[]): Promise<boolean> => {
      const exited = Promise.race(ds.map((d) => d.exited));
      if (!(await waitLeader(join(p.dir, 'admin.conf'), 30_000, Promise.race([exited, stopped]), lease))) {
        if (stopping.signal.aborted) return false;
        throw new CliError(`no ${what} became leader; see ${ds.map((d) => d.logFile).join(', ')}`);
      }
      stdout.write(
        ds.length > 1
          ? `[${what}] ${ds.length} running, one leads (lease kube-system/${lease}; logs: ${ds.map((d) => d.logFile).join(', ')})\n`
          : `[${what}] leading (logs: ${ds[0]!.logFile})\n`,
      );
      return true;
    };
    const bringUpRest = async (apis: RunningDaemon[], caPem: string): Promise<void> => {
      const kc = join(p.dir, 'admin.conf');
      const kcmConfs = [join(p.dir, 'controller-manager.conf')];
      const schedConfs = [join(p.dir, 'scheduler.conf')];
      if (ha) {
        // Every client names both apiservers; each controller-manager and every other kubelet
        // prefers the second one, so both serve watches and fail over to each other.
        await pointKubeconfig(kc, kc, servers[0]!, servers);
        await pointKubeconfig(kcmConfs[0]!, kcmConfs[0]!, servers[0]!, servers);
        kcmConfs.push(join(p.dir, 'controller-manager-2.conf'));
        await pointKubeconfig(kcmConfs[0]!, kcmConfs[1]!, servers[1]!, servers);
        await pointKubeconfig(schedConfs[0]!, schedConfs[0]!, servers[0]!, servers);
        schedConfs.push(join(p.dir, 'scheduler-2.conf'));
        await pointKubeconfig(schedConfs[0]!, schedConfs[1]!, servers[1]!, servers);
      }
      const admin = await clientFromKubeconfig(kc);
      try {
        if (await ensureClusterInfo(admin, p.server, caPem))
          stdout.write('[bootstrap-token] created kube-public/cluster-info\n');
        if (await ensureDefaultStorageClass(admin))
          stdout.write(
            `[storage] created the default StorageClass ${DEFAULT_STORAGE_CLASS} (${HOST_PATH_PROVISIONER})\n`,
          );
        const tok = await ensureBootstrapKubeconfig(admin, p.dir, p.server, caPem);
        const bootstraps = [join(p.dir, 'bootstrap-kubelet.conf')];
        if (ha) {
          await pointKubeconfig(bootstraps[0]!, bootstraps[0]!, servers[0]!, servers);
          bootstraps.push(join(p.dir, 'bootstrap-kubelet-2.conf'));
          await pointKubeconfig(bootstraps[0]!, bootstraps[1]!, servers[1]!, servers);
        }
        stdout.write(
          tok.created
            ? `[bootstrap-token] created token ${tok.id} (24h) and ${join(p.dir, 'bootstrap-kubelet.conf')}\n`
            : `[bootstrap-token] reusing token ${tok.id}\n`,
        );
        const signingDuration = args.given.has('signing-duration')
          ? [`--cluster-signing-duration=${Math.round((args.flags['signing-duration'] as number) / 1000)}s`]
          : [];
        const kcmPort = args.flags['controller-manager-port'] as number;
        const kcms = kcmConfs.map((conf, i) =>
          start(names('controller-manager')[i]!, [
            'controller-manager',
            `--kubeconfig=${conf}`,
            `--cluster-signing-cert-file=${pki('ca.crt')}`,
            `--cluster-signing-key-file=${pki('ca.key')}`,
            `--root-ca-file=${pki('ca.crt')}`,
            // kubeadm's: the tokens controller signs Secret-based service-account tokens with it.
            `--service-account-private-key-file=${pki('sa.key')}`,
            // kubeadm's: each controller acts as its ServiceAccount in kube-system, with only its role.
            '--use-service-account-credentials=true',
            // kubeadm's setting: the bootstrap signer and token cleaner are off upstream by default.
            '--controllers=*,bootstrapsigner,tokencleaner',
            // minikube's and kind's: claims of the default class get a directory on this machine.
            '--enable-hostpath-provisioner',
            ...gateArgs,
            ...securePortArgs(kcmPort, i, conf),
            ...signingDuration,
            ...verbosity,
            ...extraKcmArgs,
          ]),
        );
        if (!(await leaderElected('controller-manager', 'kube-controller-manager', kcms))) return;
        const schedPort = args.flags['scheduler-port'] as number;
        const scheds = schedConfs.map((conf, i) =>
          start(names('scheduler')[i]!, [
            'scheduler',
            `--kubeconfig=${conf}`,
            ...securePortArgs(schedPort, i, conf),
            ...verbosity,
            ...extraSchedulerArgs,
          ]),
        );
        if (!(await leaderElected('scheduler', 'kube-scheduler', scheds))) return;
        const msPort = args.flags['metrics-server-port'] as number;
        if (msPort > 0) {
          const ms = await ensureMetricsServerCredentials(new PkiDir(p.dir), p.dir, servers[0]!, p.keyType, (l) =>
            stdout.write(`${l}\n`),
          );
          await applyMetricsServerObjects(admin, msPort, caPem);
          start('metrics-server', [
            'metrics-server',
            `--kubeconfig=${ms.kubeconfig}`,
            `--secure-port=${msPort}`,
            '--bind-address=127.0.0.1',
            `--tls-cert-file=${ms.certFile}`,
            `--tls-private-key-file=${ms.keyFile}`,
            // The kubelets' serving certificates come from the cluster CA; each kubelet has its own port.
            `--kubelet-certificate-authority=${pki('ca.crt')}`,
            '--kubelet-use-node-status-port',
            '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
            // components.yaml's resolution; the client CA and front-proxy settings come from
            // kube-system/extension-apiserver-authentication, as an aggregated API server's do.
            '--metric-resolution=15s',
            ...verbosity,
          ]);
          stdout.write(
            `[metrics-server] serving metrics.k8s.io on 127.0.0.1:${msPort} (APIService v1beta1.metrics.k8s.io; kubectl top)\n`,
          );
        }

        const nodes = await planNodes(p.dir, nodesCount, args.flags['kubelet-port'] as number);
        const progress = followJoin(
          admin,
          nodes.map((n) => n.name),
          (l) => stdout.write(`${l}\n`),
        );
        const kubelets: RunningDaemon[] = [];
        for (const [i, n] of nodes.entries()) {
          const manifests = prepareNode(n);
          await writeKubeletConfig(n, p.dir, manifests);
          kubelets.push(
            start(n.name, [
              ...kubeletArgs(n, p.dir, v, bootstraps[i % bootstraps.length]),
              ...gateArgs,
              ...extraKubeletArgs,
            ]),
          );
        }
        const anyExit = Promise.race(daemons.map((d) => d.exited));
        const joined = await Promise.race([
          progress.allReady.then(() => 'ready' as const),
          stopped.then(() => 'stopped' as const),
          anyExit.then(() => 'exited' as const),
          new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 90_000).unref()),
        ]);
        progress.stop();
        if (joined === 'stopped') return;
        if (joined !== 'ready') {
          const dead = daemons.find((d) => d.proc.exitCode !== null);
          throw new CliError(
            dead
              ? `${dead.name} exited (${dead.proc.exitCode}); see ${dead.logFile}`
              : `the nodes did not all become Ready in 90 s; see ${join(p.dir, 'logs')}`,
          );
        }
        const first = nodes[0];
        stdout.write(
          [
            '',
            'Use it:',
            `  export KUBECONFIG=${kc}`,
            '  kubectl get nodes,csr -o wide',
            ...(first
              ? [
                  `  kubectl logs -f hello-${first.name}`,
                  `  kubectl exec hello-${first.name} -- sh -c 'echo hi; exit 3'`,
                ]
              : []),
            '  # the apiserver, with a client certificate:',
            `  curl --cacert ${pki('ca.crt')} --cert ${pki('apiserver-kubelet-client.crt')} --key ${pki('apiserver-kubelet-client.key')} ${p.server}/api/v1/nodes`,
            ...(ha
              ? [
                  `  # the second apiserver, on the same etcd:`,
                  `  kubectl --server=${servers[1]} get leases -n kube-system`,
                  `  # etcd itself (etcdctl from Debian's etcd-client):`,
                  `  ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:${args.flags['etcd-port']} --cacert=${pki('etcd/ca.crt')} --cert=${pki('apiserver-etcd-client.crt')} --key=${pki('apiserver-etcd-client.key')} get /registry/namespaces --prefix --keys-only`,
                ]
              : []),
            ...(first
              ? [
                  `  # a kubelet, as the apiserver reaches it (verified against the cluster CA):`,
                  `  curl --cacert ${pki('ca.crt')} --cert ${pki('apiserver-kubelet-client.crt')} --key ${pki('apiserver-kubelet-client.key')} https://${first.ip}:${first.port}/pods`,
                ]
              : []),
            ...(kcmPort > 0
              ? [
                  `  # the controller-manager's secure port (self-signed; authn/authz delegated to the apiserver):`,
                  `  curl -k https://127.0.0.1:${kcmPort}/healthz    # ok; /metrics is 403 for anonymous`,
                ]
              : []),
            '  # a pod without a node, placed by the scheduler:',
            '  kubectl run sleeper --image=busybox -- sleep 3600 && kubectl get pod sleeper -o wide',
            ...(msPort > 0
              ? [
                  '  # resource usage from metrics-server, after two scrapes (15 s apart):',
                  '  kubectl top nodes; kubectl top pods -A',
                ]
              : []),
            '  # a Deployment, rolled out by the controller-manager onto both nodes:',
            '  kubectl create deployment web --image=busybox --replicas=2 -- sleep 3600 && kubectl rollout status deployment/web',
            `Logs: ${join(p.dir, 'logs')}. ${READY_LINE}`,
            '',
          ].join('\n'),
        );
        if (!ha) {
          await Promise.race([stopped, anyExit]);
          return;
        }
        // Highly available: losing one etcd member, apiserver or controller-manager is what the
        // cluster is built to survive, so it is reported and the rest runs on; the cluster ends
        // with Ctrl-C, or when no apiserver is left.
        for (const d of daemons) {
          void d.exited.then((code) => {
            if (!stopping.signal.aborted)
              stdout.write(`[${d.name}] exited (${code ?? 'signal'}); the cluster runs on without it\n`);
          });
        }
        await Promise.race([stopped, Promise.all(apis.map((a) => a.exited))]);
      } finally {
        await admin.close();
      }
    };
    try {
      await bringUp();
    } finally {
      // Reverse start order: kubelets first; the scheduler and the controller-manager let go of their
      // leases while the apiserver still answers.
      for (const d of [...daemons].reverse()) {
        const code = await d.stop();
        if (code) failed = true;
        stdout.write(`[${d.name}] stopped${code ? ` (exit ${code})` : ''}\n`);
      }
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', killAll);
      removePid(dataDir);
    }
    return failed ? 1 : 0;
  },
};
