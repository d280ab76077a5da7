// Host ports in use on a node (framework.HostPortInfo): ip → protocol/port. 0.0.0.0 conflicts with
// every address, as a socket bound to the wildcard does.
import type { Pod } from '../api/index.js';

const WILDCARD = '0.0.0.0';

export interface HostPort {
  readonly ip: string;
  readonly protocol: string;
  readonly port: number;
}

/**
 * The host ports a pod holds (schedutil.GetHostPorts): its containers' and its sidecars' (init
 * containers that keep running); other init containers end before the pod runs.
 */
export function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const spec = pod.spec;
  const sidecars = (spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const c of [...sidecars, ...(spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || WILDCARD, protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

export class HostPortInfo {
  readonly #byIp = new Map<string, Set<string>>();

  add(ip: string, protocol: string, port: number): void {
    const key = `${protocol}/${port}`;
    const s = this.#byIp.get(ip || WILDCARD) ?? new Set<string>();
    this.#byIp.set(ip || WILDCARD, s);
    s.add(key);
  }

  /** CheckConflict: the same protocol/port on the same address, or on either side's wildcard. */
  conflicts(ip: string, protocol: string, port: number): boolean {
    const key = `${protocol}/${port}`;
    const addr = ip || WILDCARD;
    if (addr === WILDCARD) {
      for (const s of this.#byIp.values()) if (s.has(key)) return true;
      return false;
    }
    return Boolean(this.#byIp.get(addr)?.has(key) || this.#byIp.get(WILDCARD)?.has(key));
  }
}
