// The probes of one running container, as the kubelet's prober workers (pkg/kubelet/prober/worker.go):
// each probe runs every periodSeconds from initialDelaySeconds after the start; a result counts once
// it repeats successThreshold or failureThreshold times. Until a startup probe succeeds the others
// wait; readiness gates the container's `ready`; a failed liveness or startup probe kills the
// container, whose restart policy then applies. A new container instance gets new workers.
import type { Container, EventType, Probe } from '@mkube/shared/api';
import type { ProbeOutcome } from './prober.js';

export type ProbeType = 'Liveness' | 'Readiness' | 'Startup';

export interface ContainerProbeHooks {
  run(probe: Probe): Promise<ProbeOutcome>;
  event(type: EventType, reason: string, message: string): void;
  /** `started` or `ready` changed: the pod's status is due. */
  changed(): void;
  /** A liveness or startup probe failed: stop the container (SIGTERM, SIGKILL after graceMs). */
  kill(message: string, graceMs: number): void;
  /** Every probe run, for prober_probe_total and prober_probe_duration_seconds. */
  observed(type: ProbeType, result: 'successful' | 'failed' | 'unknown', seconds: number): void;
}

class ProbeWorker {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #last: boolean | undefined;
  #run = 0;

  constructor(
    readonly type: ProbeType,
    readonly probe: Probe,
    private readonly hooks: ContainerProbeHooks,
    /** The probe's verdict once a threshold is reached; false stops the worker. */
    private readonly decided: (ok: boolean) => boolean,
  ) {}

  start(delayMs: number): void {
    this.#timer = setTimeout(() => void this.#tick(), Math.max(0, delayMs));
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  async #tick(): Promise<void> {
    const began = Date.now();
    let outcome: ProbeOutcome;
    try {
      outcome = await this.hooks.run(this.probe);
    } catch (e) {
      // A probe that could not be run (a named port the container lacks): upstream's "probe errored".
      if (this.#stopped) return;
      this.hooks.observed(this.type, 'unknown', (Date.now() - began) / 1000);
      this.hooks.event('Warning', 'Unhealthy', `${this.type} probe errored: ${(e as Error).message}`);
      this.#next(began, false);
      return;
    }
    if (this.#stopped) return;
    const ok = outcome.result !== 'failure';
    this.hooks.observed(this.type, ok ? 'successful' : 'failed', (Date.now() - began) / 1000);
    if (outcome.result === 'warning')
      this.hooks.event('Warning', 'ProbeWarning', `${this.type} probe warning: ${outcome.output}`);
    else if (!ok) this.hooks.event('Warning', 'Unhealthy', `${this.type} probe failed: ${outcome.output}`);
    this.#next(began, ok);
  }

  #next(began: number, ok: boolean): void {
    if (this.#last === ok) this.#run++;
    else {
      this.#last = ok;
      this.#run = 1;
    }
    const threshold = ok ? (this.probe.successThreshold ?? 1) : (this.probe.failureThreshold ?? 3);
    if (this.#run >= Math.max(1, threshold) && !this.decided(ok)) this.stop();
    if (this.#stopped) return;
    const periodMs = Math.max(1, this.probe.periodSeconds ?? 10) * 1000;
    this.#timer = setTimeout(() => void this.#tick(), Math.max(0, began + periodMs - Date.now()));
  }
}

export class ContainerProbes {
  /** Started: no startup probe, or it has succeeded. */
  started: boolean;
  /** Ready: started, and no readiness probe or its last verdict was success (a readiness probe starts at failure). */
  ready: boolean;
  readonly #workers: ProbeWorker[] = [];
  /** The container's start: liveness and readiness count their initial delay from it. */
  readonly #startedAt = Date.now();

  constructor(
    readonly container: Container,
    private readonly hooks: ContainerProbeHooks,
    /** The pod's grace period (ms), for a kill the probe gives no period of its own. */
    private readonly podGraceMs: number,
  ) {
    this.started = !container.startupProbe;
    this.ready = this.started && !container.readinessProbe;
  }

  get probing(): boolean {
    return Boolean(this.container.startupProbe || this.container.livenessProbe || this.container.readinessProbe);
  }

  /** The container has just started. */
  start(): void {
    const startup = this.container.startupProbe;
    if (startup) this.#add('Startup', startup, (ok) => this.#startupDecided(ok), 0);
    else this.#startOthers(0);
  }

  stop(): void {
    for (const w of this.#workers) w.stop();
    this.#workers.length = 0;
  }

  #add(type: ProbeType, probe: Probe, decided: (ok: boolean) => boolean, sinceStartMs: number): void {
    const w = new ProbeWorker(type, probe, this.hooks, decided);
    this.#workers.push(w);
    w.start((probe.initialDelaySeconds ?? 0) * 1000 - sinceStartMs);
  }

  #startOthers(sinceStartMs: number): void {
    const { livenessProbe, readinessProbe } = this.container;
    if (livenessProbe)
      this.#add('Liveness', livenessProbe, (ok) => ok || this.#failed('liveness', livenessProbe), sinceStartMs);
    if (readinessProbe)
      this.#add(
        'Readiness',
        readinessProbe,
        (ok) => {
          if (this.ready !== ok) {
            this.ready = ok;
            this.hooks.changed();
          }
          return true;
        },
        sinceStartMs,
      );
  }

  #startupDecided(ok: boolean): boolean {
    if (!ok) return this.#failed('startup', this.container.startupProbe!);
    this.started = true;
    this.ready = !this.container.readinessProbe;
    this.hooks.changed();
    // Liveness and readiness count their initial delay from the container's start, as upstream's.
    this.#startOthers(Date.now() - this.#startedAt);
    return false;
  }

  /** The container is killed; this instance's probes stop (the next instance gets its own). */
  #failed(kind: 'liveness' | 'startup', probe: Probe): false {
    this.stop();
    this.ready = false;
    const graceMs =
      probe.terminationGracePeriodSeconds !== undefined ? probe.terminationGracePeriodSeconds * 1000 : this.podGraceMs;
    this.hooks.kill(`Container ${this.container.name} failed ${kind} probe, will be restarted`, graceMs);
    return false;
  }
}
