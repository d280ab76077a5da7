// Container lifecycle hooks, as the kubelet's handlerRunner (pkg/kubelet/lifecycle/handlers.go):
// postStart right after the container starts, preStop before it is sent SIGTERM. exec fails on a
// non-zero exit, httpGet only when the request cannot be made (any answer will do), sleep waits;
// a tcpSocket hook is deprecated and not run. The result is the event message of a failure.
import type { LifecycleHandler } from '@mkube/shared/api';
import { execProbe, httpGetUrl, httpProbe, type ProbeTarget } from './prober.js';

/** Runs a hook; resolves with upstream's failure message, or undefined when it succeeded. */
export async function runLifecycleHook(
  h: LifecycleHandler,
  t: ProbeTarget,
  podRef: string,
  timeoutMs: number,
): Promise<string | undefined> {
  const name = JSON.stringify(t.container.name);
  const pod = JSON.stringify(podRef);
  if (h.exec) {
    const command = h.exec.command ?? [];
    const o = await execProbe(command, t, timeoutMs);
    if (o.result !== 'failure') return undefined;
    const joined = command.join(' ');
    const error = o.exitCode === undefined ? o.output : `command '${joined}' exited with ${o.exitCode}: `;
    const output = o.exitCode === undefined ? '' : o.output;
    return `Exec lifecycle hook ([${joined}]) for Container ${name} in Pod ${pod} failed - error: ${error}, message: ${JSON.stringify(output)}`;
  }
  if (h.httpGet) {
    const g = h.httpGet;
    const failed = (error: string) =>
      `HTTP lifecycle hook (${g.path ?? ''}) for Container ${name} in Pod ${pod} failed - error: ${error}`;
    let url: URL;
    try {
      url = httpGetUrl(g, t);
    } catch (e) {
      return failed((e as Error).message);
    }
    const o = await httpProbe(url, g.httpHeaders ?? [], timeoutMs);
    // Only a request that got no answer fails the hook: the handler discards whatever came back.
    return o.statusCode === undefined ? failed(o.output) : undefined;
  }
  if (h.sleep) {
    await new Promise((r) => setTimeout(r, Math.min(h.sleep!.seconds * 1000, timeoutMs)).unref?.());
    return undefined;
  }
  return undefined;
}
