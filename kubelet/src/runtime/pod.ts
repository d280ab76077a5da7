// One pod of the process runtime: each container's `command` + `args` runs as a child process in
// the pod's own working directory with the container's env; stdout/stderr go to a CRI-format log
// file per start (`<n>.log`, n = restart count, so `--previous` reads n-1). Restarts follow the
// pod's restartPolicy with the kubelet's crash-loop back-off (the first restart at once, then 10 s
// doubling to 5 min).
import { spawn } from 'node:child_process';
import { createWriteStream, promises as fsp, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import {
  type Container,
  type ContainerStatus,
  type EventType,
  metaTime,
  type Pod,
  type PodStatus,
} from '@mkube/shared/api';
import type { KubeClient } from '@mkube/shared/client';
import { type ReferenceEventRecorder, referenceOf } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import type { ClusterTrustBundleManager } from '../clustertrustbundle/manager.js';
import type { PodCertificateManager } from '../podcertificate/manager.js';
import type { ProbeMetrics } from '../server/probemetrics.js';
import { ContainerBackoff, goSeconds } from './backoff.js';
import { runLifecycleHook } from './lifecycle.js';
import { criLines } from './logs.js';
import { type ProbeTarget, runProbe } from './prober.js';
import { ContainerProbes } from './probeworker.js';
import { interruptForeground, procStat } from './proc.js';
import { type ContainerProcess, spawnOnTerminal, type TerminalProcess, type TerminalSize } from './pty.js';
import { PodSandbox } from './sandbox.js';
import { OutputTail, type TerminationLog, terminationLogs } from './termination.js';
import { EnvConfigError, PodVolumes } from './volumes.js';

/** How long an exited container's output may take to drain before its exit is recorded anyway. */
const OUTPUT_DRAIN_MS = 2_000;
/** Volumes that failed to set up are tried again from 1 s, doubling to 30 s. */
const VOLUME_RETRY_MAX_MS = 30_000;
/** Secrets and ConfigMaps in volumes are read again this often (the kubelet's sync period). */
const VOLUME_RESYNC_MS = 60_000;

interface ContainerRun {
  readonly spec: Container;
  /** An init container: runs to completion, in order, before the regular ones start. */
  readonly init?: boolean;
  /** An init container that exited 0: it is not run again. */
  completed?: boolean;
  /** A restartable init container (restartPolicy Always): a sidecar, started in order and kept running. */
  readonly sidecar?: boolean;
  /** An ephemeral container (`kubectl debug`): started once when added, never restarted, not in Ready. */
  readonly ephemeral?: boolean;
  child?: ContainerProcess;
  /** The running instance's pseudo-terminal (`tty: true`), when it has one. */
  terminal?: TerminalProcess;
  restartCount: number;
  startedAt?: string;
  running: boolean;
  exited?: { code: number; signal?: string; reason: string; message?: string; startedAt?: string; finishedAt: string };
  previous?: ContainerStatus['state'];
  waitingReason?: string;
  waitingMessage?: string;
  /** Its crash-loop back-off (one per container, across its instances). */
  readonly backoff: ContainerBackoff;
  timer?: NodeJS.Timeout;
  /** Attached clients of the running process (kubectl attach), dropped when it exits. */
  readonly attached: Set<AttachListener>;
  /** This instance's probes (none without a probe in the spec): started and ready. */
  probes?: ContainerProbes;
  /** Its terminationMessagePath's file. */
  readonly termination: TerminationLog;
  /** The end of this instance's output: the message under FallbackToLogsOnError. */
  tail?: OutputTail;
  /** Resolves once this instance's exit is recorded (after its output drained). */
  recorded?: Promise<void>;
}

/** One attached client: the process's output as it is written, then its exit. */
export interface AttachListener {
  output(stream: 'stdout' | 'stderr', chunk: Buffer): void;
  exited(): void;
}

const now = () => metaTime();

/** The active deadline handler's words (pkg/kubelet/active_deadline.go). */
const DEADLINE_REASON = 'DeadlineExceeded';
const DEADLINE_MESSAGE = 'Pod was active on the node longer than the specified deadline';

/** Where a pod's Events go (the kubelet's EventRecorder). */
export type PodEventSink = ReferenceEventRecorder;

export function podKey(ns: string, name: string): string {
  return `${ns}/${name}`;
}

export interface PodVolumeOptions {
  /** ClusterTrustBundles for projected volumes (absent: the gate is off, or a static pod). */
  readonly trustBundles?: ClusterTrustBundleManager;
  /** Pod certificates for projected volumes (absent: the gate is off, or a static pod). */
  readonly podCertificates?: PodCertificateManager;
  readonly syncFrequencyMs?: number;
  /** Where the containers' probe runs are counted (/metrics/probes). */
  readonly probeMetrics?: ProbeMetrics;
}

export class PodWorker {
  readonly dir: string;
  readonly #runs = new Map<string, ContainerRun>();
  /** The init containers, in their order. */
  readonly #inits: ContainerRun[] = [];
  /** Ephemeral containers, in the order pods/ephemeralcontainers added them. */
  readonly #ephemeral: ContainerRun[] = [];
  /** Every init container has completed (and every sidecar started) once: Initialized stays True. */
  #initialized = false;
  /** The regular containers are done for good: the sidecars are stopped and not restarted. */
  #sidecarsStopping = false;
  #stopping = false;
  /** Stopped because the pod is being deleted: its phase becomes terminal once every container has exited. */
  #terminal = false;
  readonly #startTime = now();
  /** spec.activeDeadlineSeconds passed: the containers were stopped and the pod has failed for good. */
  #deadlineExceeded = false;
  #deadlineTimer: NodeJS.Timeout | undefined;
  /** Each pod condition's status and when it took it. */
  readonly #conditionSince = new Map<string, { status: string; since: string }>();
  readonly #volumes: PodVolumes;
  /** Each container's resolved `valueFrom` variables. */
  readonly #apiEnv = new Map<string, Record<string, string>>();
  #volumeTimer: NodeJS.Timeout | undefined;
  /** A volume set-up is running; another was asked for meanwhile (it runs right after). */
  #preparing = false;
  #prepareAgain = false;
  /** The last volume failure recorded, so a retry loop records it once, not every attempt. */
  #lastMountFailure = '';
  /** How often Secrets, ConfigMaps and ClusterTrustBundles are read again (--sync-frequency). */
  readonly #resyncMs: number;
  readonly #probeMetrics: ProbeMetrics | undefined;
  /** The pod's RuntimeClass check, which every container waits for. */
  readonly #sandbox: PodSandbox;

  constructor(
    readonly pod: Pod,
    rootDir: string,
    readonly hostIP: string,
    private readonly log: Logger,
    private readonly onChange: () => void,
    /** The node's API client, for what volumes and env take from the API; absent for static pods. */
    api: () => KubeClient | undefined = () => undefined,
    private readonly events?: PodEventSink,
    volumeOpts: PodVolumeOptions = {},
  ) {
    const m = pod.metadata!;
    this.dir = join(rootDir, 'pods', `${m.namespace}_${m.name}_${m.uid}`);
    this.#volumes = new PodVolumes(pod, this.dir, api, hostIP, volumeOpts.trustBundles, volumeOpts.podCertificates);
    this.#resyncMs = volumeOpts.syncFrequencyMs ?? VOLUME_RESYNC_MS;
    this.#probeMetrics = volumeOpts.probeMetrics;
    this.#sandbox = new PodSandbox(pod, api, (reason, message) => this.#event(undefined, 'Warning', reason, message));
    const termination = terminationLogs(this.dir, [
      ...(pod.spec?.initContainers ?? []),
      ...(pod.spec?.containers ?? []),
      ...(pod.spec?.ephemeralContainers ?? []),
    ]);
    for (const c of pod.spec?.containers ?? [])
      this.#runs.set(c.name, {
        spec: c,
        restartCount: 0,
        running: false,
        attached: new Set(),
        backoff: new ContainerBackoff(),
        termination: termination(c),
      });
    for (const c of pod.spec?.initContainers ?? [])
      this.#inits.push({
        spec: c,
        init: true,
        sidecar: c.restartPolicy === 'Always',
        restartCount: 0,
        running: false,
        attached: new Set(),
        backoff: new ContainerBackoff(),
        termination: termination(c),
      });
    // Ephemeral containers the API reports as started ran under an earlier kubelet process, which
    // took them down with it: they are never run twice. The others are started by
    // addEphemeralContainers once the pod starts.
    const reported = new Map((pod.status?.ephemeralContainerStatuses ?? []).map((s) => [s.name, s]));
    for (const c of pod.spec?.ephemeralContainers ?? []) {
      const before = reported.get(c.name)?.state;
      const exited = before?.terminated
        ? {
            code: before.terminated.exitCode ?? 0,
            reason: before.terminated.reason ?? (before.terminated.exitCode === 0 ? 'Completed' : 'Error'),
            ...(before.terminated.message ? { message: before.terminated.message } : {}),
            ...(before.terminated.startedAt ? { startedAt: before.terminated.startedAt } : {}),
            finishedAt: before.terminated.finishedAt ?? now(),
          }
        : before?.running
          ? {
              code: 128 + 9,
              reason: 'Error',
              ...(before.running.startedAt ? { startedAt: before.running.startedAt } : {}),
              finishedAt: now(),
            }
          : undefined;
      if (!exited) continue;
      this.#ephemeral.push({
        spec: c,
        ephemeral: true,
        restartCount: 0,
        running: false,
        exited,
        attached: new Set(),
        backoff: new ContainerBackoff(),
        termination: termination(c),
      });
    }
  }

  get namespace(): string {
    return this.pod.metadata?.namespace ?? 'default';
  }

  get name(): string {
    return this.pod.metadata?.name ?? '';
  }

  containerNames(): string[] {
    return [...this.#runs.keys()];
  }

  hasContainer(name: string): boolean {
    return this.#find(name) !== undefined;
  }

  isRunning(container: string): boolean {
    return this.#find(container)?.running ?? false;
  }

  /**
   * Attaches to a running container's output from now on (the process runtime has no scrollback:
   * `kubectl logs` has that). Undefined when it is not running; else a function that detaches.
   */
  attach(container: string, l: AttachListener): (() => void) | undefined {
    const r = this.#find(container);
    if (!r?.running) return undefined;
    r.attached.add(l);
    return () => r.attached.delete(l);
  }

  /**
   * The running container's stdin, for an attached client: undefined unless its spec asks for one
   * (`stdin: true`). With `stdinOnce` the first client to let go of it closes it for good (until the
   * container restarts), as the runtime does.
   */
  attachStdin(
    container: string,
  ): { write(chunk: Buffer): void; end(): void; release(): void; interrupt(): void } | undefined {
    const r = this.#find(container);
    const stdin = r?.running ? r.child?.stdin : undefined;
    if (!r || !stdin || stdin.destroyed || stdin.writableEnded) return undefined;
    stdin.on('error', () => {});
    return {
      write: (chunk) => {
        if (!stdin.writableEnded) stdin.write(chunk);
      },
      end: () => stdin.end(),
      release: () => {
        if (r.spec.stdinOnce) stdin.end();
      },
      // ^C on an attached terminal: the container's foreground group, as its tty would signal.
      interrupt: () => {
        if (r.child?.pid) interruptForeground(r.child.pid);
      },
    };
  }

  /** Whether the running container is on a terminal of its own (its output is raw terminal bytes). */
  onTerminal(container: string): boolean {
    return this.#find(container)?.terminal !== undefined;
  }

  /** An attached client's window size, for a container on a terminal. */
  resizeTerminal(container: string, size: TerminalSize): void {
    this.#find(container)?.terminal?.resize(size);
  }

  logFile(container: string, previous = false): string | undefined {
    const r = this.#find(container);
    if (!r) return undefined;
    const n = previous ? r.restartCount - 1 : r.restartCount;
    return n < 0 ? undefined : join(this.dir, container, `${n}.log`);
  }

  /** The environment a container (and an exec into it) sees. */
  env(container: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: this.dir,
      HOSTNAME: this.name,
      POD_NAME: this.name,
      POD_NAMESPACE: this.namespace,
    };
    const resolved = this.#apiEnv.get(container) ?? {};
    for (const e of this.#find(container)?.spec.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (resolved[e.name] !== undefined) env[e.name] = resolved[e.name];
    }
    return env;
  }

  /** What a command run in the container (kubelet /run) runs against; undefined for no such container. */
  execTarget(container: string): ProbeTarget | undefined {
    const r = this.#find(container);
    return r && this.#target(r);
  }

  /** A regular, init or ephemeral container by name. */
  #find(name: string): ContainerRun | undefined {
    return (
      this.#runs.get(name) ??
      this.#inits.find((r) => r.spec.name === name) ??
      this.#ephemeral.find((r) => r.spec.name === name)
    );
  }

  /** Every container: the init ones first, the ephemeral ones last. */
  #all(): ContainerRun[] {
    return [...this.#inits, ...this.#runs.values(), ...this.#ephemeral];
  }

  /**
   * The pod as the API has it now: the ephemeral containers pods/ephemeralcontainers added since
   * are started, each once (the only change to a running pod's spec the kubelet acts on here).
   */
  addEphemeralContainers(pod: Pod): void {
    const added = (pod.spec?.ephemeralContainers ?? []).filter((c) => !this.#find(c.name));
    if (added.length === 0 || this.#stopping || !this.pod.spec) return;
    // The volumes' env resolution reads the spec: it has to know the new containers.
    this.pod.spec.ephemeralContainers = pod.spec!.ephemeralContainers;
    const termination = terminationLogs(this.dir, [...this.#all().map((r) => r.spec), ...added]);
    for (const c of added) {
      const r: ContainerRun = {
        spec: c,
        ephemeral: true,
        restartCount: 0,
        running: false,
        attached: new Set(),
        backoff: new ContainerBackoff(),
        termination: termination(c),
      };
      this.#ephemeral.push(r);
      void this.#startEphemeral(r);
    }
    this.onChange();
  }

  async #startEphemeral(r: ContainerRun): Promise<void> {
    try {
      if (this.#volumes.needed) this.#apiEnv.set(r.spec.name, await this.#volumes.env(r.spec.name));
    } catch (e) {
      r.waitingReason = e instanceof EnvConfigError ? 'CreateContainerConfigError' : 'ContainerCreating';
      r.waitingMessage = (e as Error).message;
      this.#event(r, 'Warning', 'Failed', `Error: ${r.waitingMessage}`);
      this.onChange();
      return;
    }
    if (!this.#stopping) this.#launch(r);
  }

  /** An Event about one container (fieldPath `spec.containers{name}` or `spec.initContainers{name}`), as the kubelet's. */
  #event(r: ContainerRun | undefined, type: EventType, reason: string, message: string): void {
    const list = r?.ephemeral ? 'ephemeralContainers' : r?.init ? 'initContainers' : 'containers';
    const fieldPath = r ? `spec.${list}{${r.spec.name}}` : undefined;
    this.events?.eventFor(referenceOf(this.pod, fieldPath), type, reason, message);
  }

  start(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o750 });
    const deadline = this.pod.spec?.activeDeadlineSeconds;
    if (deadline !== undefined && deadline > 0) {
      this.#deadlineTimer = setTimeout(() => void this.#exceedDeadline(), deadline * 1000);
      this.#deadlineTimer.unref();
    }
    if (!this.#volumes.needed) {
      this.#startContainers();
      return;
    }
    void this.#prepare(1000);
  }

  /**
   * The active deadline handler's eviction: the pod has run longer than activeDeadlineSeconds since
   * the kubelet started it, so its containers are stopped (within their grace period) and it fails
   * with DeadlineExceeded.
   */
  async #exceedDeadline(): Promise<void> {
    if (this.#stopping) return;
    this.#deadlineExceeded = true;
    this.events?.eventFor(referenceOf(this.pod), 'Normal', DEADLINE_REASON, DEADLINE_MESSAGE);
    this.onChange();
    await this.stop(undefined, Number.POSITIVE_INFINITY);
    this.onChange();
  }

  /**
   * Sets the volumes up again now rather than at the next retry or sync period: a pod certificate
   * was issued or replaced (or refused) and should reach the pod's files at once.
   */
  resyncVolumes(): void {
    if (this.#stopping || !this.#volumes.needed) return;
    if (this.#preparing) {
      this.#prepareAgain = true;
      return;
    }
    clearTimeout(this.#volumeTimer);
    void this.#prepare(1000);
  }

  /** One set-up at a time: a resync asked for during one runs after it. */
  async #prepare(retryMs: number): Promise<void> {
    this.#volumeTimer = undefined;
    if (this.#stopping) return;
    this.#preparing = true;
    try {
      await this.#prepareOnce(retryMs);
    } finally {
      this.#preparing = false;
    }
    if (this.#prepareAgain && !this.#stopping) {
      this.#prepareAgain = false;
      clearTimeout(this.#volumeTimer);
      void this.#prepare(1000);
    }
  }

  /** Volumes and env from the API, then the containers; on failure, waiting with the reason, and again. */
  async #prepareOnce(retryMs: number): Promise<void> {
    try {
      await this.#volumes.setUp();
      for (const r of this.#all()) this.#apiEnv.set(r.spec.name, await this.#volumes.env(r.spec.name));
      this.#lastMountFailure = '';
    } catch (e) {
      if (this.#stopping) return;
      const reason = e instanceof EnvConfigError ? 'CreateContainerConfigError' : 'ContainerCreating';
      const message = (e as Error).message;
      for (const r of this.#all()) {
        if (r.running || r.child || r.completed) continue;
        r.waitingReason = reason;
        r.waitingMessage = message;
      }
      if (message !== this.#lastMountFailure) {
        this.#lastMountFailure = message;
        if (e instanceof EnvConfigError) {
          for (const r of this.#all())
            if (!r.running && !r.completed) this.#event(r, 'Warning', 'Failed', `Error: ${message}`);
        } else this.#event(undefined, 'Warning', 'FailedMount', message);
      }
      this.log.warn({ pod: podKey(this.namespace, this.name), err: (e as Error).message }, 'pod not started yet');
      this.onChange();
      this.#volumeTimer = setTimeout(() => void this.#prepare(Math.min(retryMs * 2, VOLUME_RETRY_MAX_MS)), retryMs);
      this.#volumeTimer.unref();
      return;
    }
    this.#startContainers();
    // Tokens are refreshed when due, Secrets, ConfigMaps and bundles re-read every sync period.
    const due = this.#volumes.nextRefreshMs();
    const wait = Math.max(1000, Math.min(this.#resyncMs, due === undefined ? this.#resyncMs : due - Date.now()));
    this.#volumeTimer = setTimeout(() => void this.#prepare(1000), wait);
    this.#volumeTimer.unref();
  }

  /**
   * The next step of the pod's start, as the kubelet's computePodActions: the first init container
   * not yet completed (unless it runs, waits out a back-off, or failed for good) — a sidecar is
   * started and the next one waits only until it has started — and once all are through, the
   * regular containers not started yet.
   */
  #startContainers(): void {
    if (this.#stopping) return;
    // After the volumes, as upstream mounts them before SyncPod creates the sandbox.
    if (!this.#sandbox.ready) {
      this.#sandbox.create(() => this.#startContainers());
      return;
    }
    const ready = (r: ContainerRun) => {
      if (r.waitingReason === 'ContainerCreating' || r.waitingReason === 'CreateContainerConfigError') {
        r.waitingReason = undefined;
        r.waitingMessage = undefined;
      }
    };
    if (!this.#initialized) {
      for (const r of this.#inits) {
        if (r.completed) continue;
        if (!(r.running || r.child || r.timer || r.exited)) {
          ready(r);
          this.#launch(r);
        }
        if (r.sidecar && this.#sidecarStarted(r)) continue;
        return;
      }
      this.#initialized = true;
      this.onChange();
    }
    for (const r of this.#runs.values()) {
      if (r.running || r.child || r.timer) continue;
      ready(r);
      if (!r.exited) this.#launch(r);
    }
  }

  /** A sidecar is started once it runs and its startup probe, if any, has passed. */
  #sidecarStarted(r: ContainerRun): boolean {
    return r.running && (r.probes?.started ?? true);
  }

  #launch(r: ContainerRun): void {
    if (this.#stopping) return;
    const argv = [...(r.spec.command ?? []), ...(r.spec.args ?? [])];
    if (argv.length === 0) {
      r.waitingReason = 'CreateContainerConfigError';
      r.waitingMessage = "the mkube process runtime runs a container's command: this container has none";
      this.#event(r, 'Warning', 'Failed', `Error: ${r.waitingMessage}`);
      this.onChange();
      return;
    }
    const cdir = join(this.dir, r.spec.name);
    mkdirSync(cdir, { recursive: true });
    try {
      r.termination.prepare();
    } catch (e) {
      this.log.warn(
        { pod: podKey(this.namespace, this.name), container: r.spec.name, err: (e as Error).message },
        'cannot prepare the termination message file',
      );
    }
    const tail = new OutputTail();
    r.tail = tail;
    const log = createWriteStream(join(cdir, `${r.restartCount}.log`), { flags: 'a', mode: 0o640 });
    log.on('error', (e) =>
      this.log.warn(
        { pod: podKey(this.namespace, this.name), container: r.spec.name, err: e.message },
        'log write failed',
      ),
    );
    let child: ContainerProcess;
    try {
      const opts = { cwd: this.dir, env: this.env(r.spec.name) };
      // `tty: true`: a terminal of its own, whose output is the log's stdout and whose input
      // attached clients type into (kubectl run -it, attach -it).
      r.terminal = r.spec.tty
        ? spawnOnTerminal(argv[0]!, argv.slice(1), { ...opts, stdin: r.spec.stdin === true })
        : undefined;
      child =
        r.terminal ??
        spawn(argv[0]!, argv.slice(1), {
          ...opts,
          // stdin: true keeps a pipe open for attached clients (kubectl attach -i, run -i, debug -i).
          stdio: [r.spec.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
          // Its own process group, so stopping the container stops everything it started.
          detached: true,
        });
    } catch (e) {
      log.end();
      this.#event(r, 'Warning', 'Failed', `Error: ${(e as Error).message}`);
      this.#exited(r, 128, undefined, `ContainerCannotRun: ${(e as Error).message}`);
      return;
    }
    // The log ends once both pipes have, not at 'exit': the last output can arrive after it.
    let pipes = 2;
    let drained: (() => void) | undefined;
    let markRecorded!: () => void;
    r.recorded = new Promise<void>((resolve) => {
      markRecorded = resolve;
    });
    const pipeClosed = () => {
      if (--pipes > 0) return;
      log.end();
      drained?.();
    };
    child.stdout!.once('close', pipeClosed);
    child.stderr!.once('close', pipeClosed);
    this.#event(r, 'Normal', 'Created', `Created container: ${r.spec.name}`);
    // No pid: the command could not be started; its 'error' below says why.
    if (child.pid) this.#event(r, 'Normal', 'Started', `Started container ${r.spec.name}`);
    r.child = child;
    r.running = true;
    r.startedAt = now();
    r.waitingReason = undefined;
    const output = (stream: 'stdout' | 'stderr') => {
      // A character split across chunks is written whole, as setEncoding would.
      const text = new StringDecoder('utf8');
      return (d: Buffer) => {
        const t = text.write(d);
        if (t) {
          log.write(criLines(stream, t));
          tail.push(t);
        }
        for (const l of r.attached) l.output(stream, d);
      };
    };
    child.stdout?.on('data', output('stdout'));
    child.stderr?.on('data', output('stderr'));
    child.once('error', (e) => {
      log.write(criLines('stderr', `${e.message}\n`));
      this.#event(r, 'Warning', 'Failed', `Error: ${e.message}`);
      this.#exited(r, 128, undefined, 'ContainerCannotRun');
      markRecorded();
    });
    child.once('exit', (code, signal) => {
      // What the container's main process left behind goes with it, as a PID namespace's members
      // do when its init exits: nothing lingers, holding the log open, across restarts.
      if (child.pid) signalGroup(child.pid, 'SIGKILL');
      // The exit is recorded once its output is all in (the log's tail can be its message): when
      // the pipes close, or after OUTPUT_DRAIN_MS if something outside the group still holds them.
      let recorded = false;
      const record = () => {
        if (recorded) return;
        recorded = true;
        clearTimeout(late);
        this.#exited(r, code ?? 128 + 9, signal ?? undefined, code === 0 ? 'Completed' : 'Error');
        markRecorded();
      };
      const late = pipes === 0 ? undefined : setTimeout(record, OUTPUT_DRAIN_MS);
      if (pipes === 0) record();
      else drained = record;
    });
    if (child.pid) {
      void this.#postStart(r, child);
      this.#startProbes(r, child);
      void fsp.writeFile(join(cdir, 'pid'), `${child.pid} ${procStartTime(child.pid) ?? ''}\n`).catch(() => {});
    }
    this.log.info(
      { pod: podKey(this.namespace, this.name), container: r.spec.name, pid: child.pid },
      'container started',
    );
    this.onChange();
  }

  /** The container's probes, for this instance only: a restart starts them again from scratch. */
  #startProbes(r: ContainerRun, child: ContainerProcess): void {
    const c = r.spec;
    if (!c.livenessProbe && !c.readinessProbe && !c.startupProbe) return;
    const labels = {
      container: c.name,
      pod: this.name,
      namespace: this.namespace,
      podUID: this.pod.metadata?.uid ?? '',
    };
    const probes = new ContainerProbes(
      c,
      {
        run: (probe) => runProbe(probe, this.#target(r)),
        event: (type, reason, message) => this.#event(r, type, reason, message),
        changed: () => {
          this.onChange();
          // A sidecar's startup probe passing lets the next init container start.
          if (r.sidecar) this.#startContainers();
        },
        kill: (message, graceMs) => {
          if (r.child !== child) return;
          this.log.info({ pod: podKey(this.namespace, this.name), container: c.name }, message);
          void this.#kill(r, child, message, graceMs);
        },
        observed: (type, result, seconds) => this.#probeMetrics?.observe(type, result, labels, seconds),
      },
      this.#graceMs(),
    );
    r.probes = probes;
    probes.start();
  }

  #exited(r: ContainerRun, code: number, signal: string | undefined, reason: string): void {
    if (!r.running && r.child === undefined && r.exited) return;
    r.probes?.stop();
    r.probes = undefined;
    r.running = false;
    r.child = undefined;
    r.terminal = undefined;
    for (const l of r.attached) l.exited();
    r.attached.clear();
    const message = this.#terminationMessage(r, code, reason);
    r.exited = {
      code,
      ...(signal ? { signal } : {}),
      reason,
      ...(message ? { message } : {}),
      ...(r.startedAt ? { startedAt: r.startedAt } : {}),
      finishedAt: now(),
    };
    this.onChange();
    // An ephemeral container is never restarted, whatever the pod's policy.
    if (this.#stopping || r.ephemeral) return;
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    if (r.sidecar) {
      // A sidecar is restarted whatever the pod's policy, until the regular containers are done.
      if (this.#sidecarsStopping) return;
    } else if (r.init && code === 0) {
      r.completed = true;
      this.#startContainers();
      return;
    } else {
      if (!r.init) this.#stopSidecarsWhenDone(policy);
      // A failed init container is run again under Always and OnFailure alike; under Never the pod
      // fails, and its sidecars are stopped with it.
      if (r.init && policy === 'Never') this.#stopSidecars();
      if (policy === 'Never' || (policy === 'OnFailure' && code === 0)) return;
    }
    const { waitMs, started } = r.backoff.next(Date.now());
    if (waitMs === 0) {
      this.#restart(r);
      return;
    }
    const podRef = this.#podRef();
    r.waitingReason = 'CrashLoopBackOff';
    r.waitingMessage = `back-off ${goSeconds(waitMs)} restarting failed container=${r.spec.name} pod=${podRef}`;
    this.#event(r, 'Warning', 'BackOff', `Back-off restarting failed container ${r.spec.name} in pod ${podRef}`);
    r.timer = setTimeout(() => {
      started();
      this.#restart(r);
    }, waitMs);
    r.timer.unref();
  }

  /**
   * Once every regular container of a pod that will not restart them has exited, its sidecars are
   * stopped, as the kubelet ends a Job pod's sidecars.
   */
  #stopSidecarsWhenDone(policy: string): void {
    const mains = [...this.#runs.values()];
    const done = (r: ContainerRun) =>
      !r.running && r.exited && (policy === 'Never' || (policy === 'OnFailure' && r.exited.code === 0));
    if (policy === 'Always' || !mains.every(done)) return;
    this.#stopSidecars();
  }

  /** The sidecars, in reverse order, through their preStop hooks; they are not restarted after. */
  #stopSidecars(): void {
    this.#sidecarsStopping = true;
    for (const r of [...this.#inits].reverse()) {
      if (!r.sidecar) continue;
      clearTimeout(r.timer);
      r.timer = undefined;
      r.waitingReason = undefined;
      r.probes?.stop();
      if (r.child) void this.#kill(r, r.child, `Stopping container ${r.spec.name}`, this.#graceMs());
    }
  }

  /** The exited instance becomes lastState; a new one starts. */
  #restart(r: ContainerRun): void {
    r.timer = undefined;
    r.waitingReason = undefined;
    r.waitingMessage = undefined;
    r.previous = terminatedState(r.exited!);
    r.restartCount++;
    r.exited = undefined;
    this.#launch(r);
    // A sidecar back before the pod was initialized lets the next init container go.
    if (r.sidecar && !this.#initialized) this.#startContainers();
  }

  /**
   * The pod is being deleted: SIGTERM, SIGKILL once the whole grace period (the deletion's) has
   * passed, and a terminal phase (Succeeded when every container exited 0, else Failed).
   */
  terminate(graceMs: number): Promise<void> {
    this.#terminal = true;
    return this.stop(graceMs, Number.POSITIVE_INFINITY);
  }

  /** SIGTERM to each container's process group, SIGKILL after the grace period (at most `capMs`). */
  async stop(graceMs = this.#graceMs(), capMs = 10_000): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#volumeTimer);
    clearTimeout(this.#deadlineTimer);
    this.#sandbox.stop();
    const waits: Promise<void>[] = [];
    for (const r of this.#all()) {
      clearTimeout(r.timer);
      // A terminating container is not probed (upstream stops liveness and startup, and readiness
      // has nothing left to gate).
      r.probes?.stop();
      const child = r.child;
      if (!child?.pid) continue;
      waits.push(this.#kill(r, child, `Stopping container ${r.spec.name}`, Math.min(graceMs, capMs)));
    }
    await Promise.all(waits);
    // Secrets and tokens do not outlive the pod on this node (the logs stay for `kubectl logs`).
    this.#volumes.tearDown();
  }

  /**
   * Stops one running container as the kubelet's killContainer: the Killing event, its preStop hook
   * (within the grace period), then SIGTERM to its process group and SIGKILL once the grace period
   * is over (at least 2 s after the hook, upstream's minimum). Resolves when it has exited.
   */
  async #kill(r: ContainerRun, child: ContainerProcess, message: string, graceMs: number): Promise<void> {
    if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
    // Its exit as recorded (state, message), not the bare 'exit': callers report the status next.
    const exited =
      r.child === child && r.recorded
        ? r.recorded
        : new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.#event(r, 'Normal', 'Killing', message);
    const began = Date.now();
    const preStop = r.spec.lifecycle?.preStop;
    if (preStop) {
      const failed = await Promise.race([
        runLifecycleHook(preStop, this.#target(r), this.#podRef(), graceMs),
        exited.then(() => undefined),
      ]);
      if (failed) this.#event(r, 'Warning', 'FailedPreStopHook', failed);
    }
    const left = preStop ? Math.max(2_000, graceMs - (Date.now() - began)) : graceMs;
    const kill = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), left);
    kill.unref();
    signalGroup(child.pid, 'SIGTERM');
    await exited;
    clearTimeout(kill);
  }

  /** format.Pod: how the kubelet names a pod in messages. */
  #podRef(): string {
    return `${this.name}_${this.namespace}(${this.pod.metadata?.uid ?? ''})`;
  }

  /** What a probe, hook or exec of the container runs against: its spec, the pod IP, folder and env. */
  #target(r: ContainerRun): ProbeTarget {
    return { container: r.spec, podIP: this.hostIP, cwd: this.dir, env: this.env(r.spec.name) };
  }

  /** The pod's terminationGracePeriodSeconds (30 s by default), in ms. */
  #graceMs(): number {
    return (this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  /** The postStart hook; a failure is recorded and the container killed (its restart policy applies). */
  async #postStart(r: ContainerRun, child: ContainerProcess): Promise<void> {
    const hook = r.spec.lifecycle?.postStart;
    if (!hook) return;
    const failed = await runLifecycleHook(hook, this.#target(r), this.#podRef(), 24 * 3_600_000);
    if (!failed || r.child !== child || this.#stopping) return;
    this.#event(r, 'Warning', 'FailedPostStartHook', failed);
    await this.#kill(r, child, 'FailedPostStartHook', this.#graceMs());
  }

  /**
   * The message of an instance that just exited (kuberuntime's toKubeContainerStatus): its file, or
   * under FallbackToLogsOnError, when that is empty and the container failed (not "could not run"),
   * the end of its output.
   */
  #terminationMessage(r: ContainerRun, code: number, reason: string): string {
    const fallbackToLogs =
      r.spec.terminationMessagePolicy === 'FallbackToLogsOnError' &&
      code !== 0 &&
      !reason.startsWith('ContainerCannotRun');
    const { message, checkLogs } = r.termination.read(fallbackToLogs);
    return checkLogs ? (r.tail?.message() ?? '') : message;
  }

  /** One container's status; one never started waits with `notStarted` (ContainerCreating, PodInitializing). */
  #containerStatus(r: ContainerRun, notStarted: string): ContainerStatus {
    const state: ContainerStatus['state'] = r.running
      ? { running: { startedAt: r.startedAt } }
      : r.waitingReason
        ? { waiting: { reason: r.waitingReason, message: r.waitingMessage } }
        : r.exited
          ? terminatedState(r.exited)
          : { waiting: { reason: notStarted } };
    return {
      name: r.spec.name,
      state,
      lastState: r.previous ?? (r.waitingReason === 'CrashLoopBackOff' && r.exited ? terminatedState(r.exited) : {}),
      // An init container is ready once it has completed; a sidecar, as a regular one.
      ready: r.ephemeral ? false : r.init && !r.sidecar ? r.completed === true : r.running && (r.probes?.ready ?? true),
      restartCount: r.restartCount,
      image: r.spec.image ?? 'process',
      imageID: '',
      ...(r.child?.pid ? { containerID: `process://${r.child.pid}` } : {}),
      started: r.running && (r.probes?.started ?? true),
    };
  }

  status(): PodStatus {
    const incomplete = this.#initialized
      ? []
      : this.#inits.filter((r) => !(r.completed || (r.sidecar && this.#sidecarStarted(r)))).map((r) => r.spec.name);
    const initialized = incomplete.length === 0;
    const initStatuses = this.#inits.map((r) => this.#containerStatus(r, 'PodInitializing'));
    const cs = [...this.#runs.values()].map((r) =>
      this.#containerStatus(r, initialized ? 'ContainerCreating' : 'PodInitializing'),
    );
    const all = [...this.#runs.values()];
    // Sidecars count towards ContainersReady, as regular containers do (after them, as upstream lists them).
    const sidecars = this.#inits.filter((r) => r.sidecar && !this.#sidecarsStopping).map((r) => r.spec.name);
    const unready = [
      ...cs.filter((c) => !c.ready).map((c) => c.name),
      ...initStatuses.filter((c) => sidecars.includes(c.name) && !c.ready).map((c) => c.name),
    ];
    const allReady = all.length > 0 && unready.length === 0;
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    const allDone = all.length > 0 && all.every((r) => !r.running && r.exited && !r.waitingReason);
    // An init container that failed for good (restartPolicy Never), or a pod stopped for its deletion
    // before its init containers completed: the pod has failed.
    const initFailed = this.#inits.some(
      (r) => !r.sidecar && r.exited && !r.completed && !r.running && !r.timer && !r.waitingReason,
    );
    let phase: PodStatus['phase'] = 'Pending';
    if (!initialized) {
      if ((initFailed && policy === 'Never') || this.#terminal) phase = 'Failed';
    }
    // A pod the kubelet stopped for its deletion ends in a terminal phase whatever its restart policy.
    else if (allDone && (policy !== 'Always' || this.#terminal))
      phase = all.every((r) => r.exited!.code === 0) ? 'Succeeded' : 'Failed';
    else if (all.some((r) => r.running || r.restartCount > 0 || r.exited)) phase = 'Running';
    if (this.#deadlineExceeded) phase = 'Failed';
    const cond = (type: string, ok: boolean, reason?: string, message?: string) => {
      const status = ok ? 'True' : 'False';
      // A condition's transition time moves only when its status does (the status manager keeps it).
      let seen = this.#conditionSince.get(type);
      if (seen?.status !== status) {
        seen = { status, since: now() };
        this.#conditionSince.set(type, seen);
      }
      return {
        type,
        status,
        lastProbeTime: null,
        lastTransitionTime: seen.since,
        ...(ok || !reason ? {} : { reason, ...(message ? { message } : {}) }),
      } as const;
    };
    // The status manager's words for containers not ready (GenerateContainersReadyCondition): a pod
    // in a terminal phase says so instead.
    const [why, notReady] =
      phase === 'Succeeded'
        ? ['PodCompleted', undefined]
        : phase === 'Failed'
          ? ['PodFailed', undefined]
          : ['ContainersNotReady', `containers with unready status: [${unready.join(' ')}]`];
    return {
      phase,
      ...(this.#deadlineExceeded ? { reason: DEADLINE_REASON, message: DEADLINE_MESSAGE } : {}),
      conditions: [
        cond('PodReadyToStartContainers', true),
        cond(
          'Initialized',
          initialized,
          'ContainersNotInitialized',
          `containers with incomplete status: [${incomplete.join(' ')}]`,
        ),
        cond('Ready', allReady, why, notReady),
        cond('ContainersReady', allReady, why, notReady),
        cond('PodScheduled', true),
      ],
      hostIP: this.hostIP,
      hostIPs: [{ ip: this.hostIP }],
      podIP: this.hostIP,
      podIPs: [{ ip: this.hostIP }],
      startTime: this.#startTime,
      ...(initStatuses.length > 0 ? { initContainerStatuses: initStatuses } : {}),
      containerStatuses: cs,
      ...(this.#ephemeral.length > 0
        ? { ephemeralContainerStatuses: this.#ephemeral.map((r) => this.#containerStatus(r, 'ContainerCreating')) }
        : {}),
    };
  }
}

/** An instance's exit as a container state: current while it is the last, then its lastState. */
function terminatedState(e: NonNullable<ContainerRun['exited']>): NonNullable<ContainerStatus['state']> {
  return {
    terminated: {
      exitCode: e.code,
      reason: e.reason,
      ...(e.message ? { message: e.message } : {}),
      ...(e.startedAt ? { startedAt: e.startedAt } : {}),
      finishedAt: e.finishedAt,
    },
  };
}

export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
}

/** Field 22 of /proc/<pid>/stat: tells a recorded pid from a recycled one. */
export function procStartTime(pid: number): string | undefined {
  return procStat(pid)?.[19];
}
