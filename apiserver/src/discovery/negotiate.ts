// Content negotiation for /api and /apis: the client lists what it accepts, most preferred first;
// aggregated discovery is chosen only when asked for by group, version and `as`.
import type { AggregatedVersion } from './aggregated.js';

export type DiscoveryFormat =
  | { kind: 'aggregated'; version: AggregatedVersion }
  | { kind: 'legacy' }
  | { kind: 'none' };

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

export function parseAccept(header: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const clause of header.split(',')) {
    const [type = '', ...rest] = clause.split(';').map((s) => s.trim());
    if (!type) continue;
    const params = new Map<string, string>();
    for (const kv of rest) {
      const i = kv.indexOf('=');
      if (i > 0) params.set(kv.slice(0, i).trim().toLowerCase(), kv.slice(i + 1).trim());
    }
    const q = params.has('q') ? Number(params.get('q')) : 1;
    out.push({ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 });
  }
  // Stable: equal q keeps the client's order.
  return out.filter((m) => m.q > 0).sort((a, b) => b.q - a.q);
}

export function negotiateDiscovery(accept: string | undefined): DiscoveryFormat {
  if (!accept) return { kind: 'legacy' };
  for (const m of parseAccept(accept)) {
    const json = m.type === 'application/json' || m.type === 'application/*' || m.type === '*/*';
    if (!json) continue;
    const g = m.params.get('g');
    const v = m.params.get('v');
    const as = m.params.get('as');
    if (g === undefined && as === undefined) return { kind: 'legacy' };
    if (g === 'apidiscovery.k8s.io' && as === 'APIGroupDiscoveryList' && (v === 'v2' || v === 'v2beta1')) {
      return { kind: 'aggregated', version: v };
    }
  }
  return { kind: 'none' };
}
