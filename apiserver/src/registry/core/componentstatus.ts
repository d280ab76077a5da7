// v1 ComponentStatus (`kubectl get cs`), as kube-apiserver's componentstatus REST: not stored; each
// read probes the controller-manager's and the scheduler's /healthz on 127.0.0.1 at their default
// secure ports (certificates not verified) and the apiserver's storage ("etcd-0", as the readyz
// check of the embedded store is named). A probe that cannot connect is Unhealthy with Go's error
// text as its message, so a component that is not running (mkube has no scheduler) says so.
import { request } from 'node:https';
import type { ComponentCondition, ComponentStatus } from '@mkube/shared/api';
import { newInternalError } from '@mkube/shared/apierrors';
import { dialErrorText, urlErrorText } from '../../kubelet/errors.js';

/** Upstream's probeTimeOut for component health. */
const PROBE_TIMEOUT_MS = 20_000;
/** probe/http reads at most this much of a body. */
const MAX_BODY = 10 * 1024;

export interface ComponentStatusDeps {
  /** The storage's health: undefined when healthy, else why not. */
  readonly storage: () => Promise<string | undefined>;
  /** Where the controller-manager and the scheduler are probed (tests move them). */
  readonly ports?: { readonly controllerManager: number; readonly scheduler: number };
  readonly timeoutMs?: number;
}

/** ports.KubeControllerManagerPort and kubeschedulerconfig.DefaultKubeSchedulerPort. */
export const DEFAULT_COMPONENT_PORTS = { controllerManager: 10257, scheduler: 10259 } as const;

type Probe = () => Promise<ComponentCondition>;

/** probehttp: 2xx–3xx is Success with the body as message; a failed request is a Failure with its error. */
function httpsProbe(port: number, timeoutMs: number): Probe {
  const url = `https://127.0.0.1:${port}/healthz`;
  return () =>
    new Promise((resolve) => {
      const fail = (message: string): void => resolve({ type: 'Healthy', status: 'False', message });
      const req = request(url, { rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 400)
            resolve({
              type: 'Healthy',
              status: 'True',
              message: Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8'),
            });
          else fail(`HTTP probe failed with statuscode: ${code}`);
        });
        res.on('error', (e) => fail(urlErrorText('GET', url, e.message)));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('i/o timeout'), { code: 'KUBELET_DIAL_TIMEOUT' })));
      req.on('error', (e) => fail(urlErrorText('GET', url, dialErrorText(e, '127.0.0.1', port))));
      req.end();
    });
}

export function componentStatuses(deps: ComponentStatusDeps) {
  const ports = deps.ports ?? DEFAULT_COMPONENT_PORTS;
  const timeoutMs = deps.timeoutMs ?? PROBE_TIMEOUT_MS;
  const servers: Record<string, Probe> = {
    scheduler: httpsProbe(ports.scheduler, timeoutMs),
    'controller-manager': httpsProbe(ports.controllerManager, timeoutMs),
    'etcd-0': async () => {
      const problem = await deps.storage();
      return problem === undefined
        ? { type: 'Healthy', status: 'True', message: 'ok' }
        : { type: 'Healthy', status: 'False', message: problem };
    },
  };
  const status = async (name: string, probe: Probe): Promise<ComponentStatus> => ({
    kind: 'ComponentStatus',
    apiVersion: 'v1',
    metadata: { name },
    conditions: [await probe()],
  });
  return {
    /** All of them, probed at once. */
    list: (): Promise<ComponentStatus[]> => Promise.all(Object.entries(servers).map(([n, p]) => status(n, p))),
    async get(name: string): Promise<ComponentStatus> {
      const probe = servers[name];
      // Upstream returns a plain error here, which the handler turns into a 500.
      if (!probe) throw newInternalError(new Error(`Component not found: ${name}`));
      return status(name, probe);
    },
  };
}

export type ComponentStatuses = ReturnType<typeof componentStatuses>;
