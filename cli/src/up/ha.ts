// The highly available local control plane (`mkube up --store etcd`): which apiservers there are,
// and kubeconfigs that prefer one of them while naming all (the mkube.io/apiservers cluster
// extension, which mkube's clients fail over with and kubectl ignores).
import { APISERVERS_EXTENSION, loadKubeconfig, writeKubeconfig } from '@mkube/shared/kubeconfig';

/** The apiservers: the first at `server`, the others on the next ports of the same address. */
export function apiserverUrls(server: string, count: number): string[] {
  const u = new URL(server);
  const port = Number(u.port || 443);
  return Array.from({ length: count }, (_, i) => {
    const x = new URL(server);
    x.port = String(port + i);
    return x.origin;
  });
}

/**
 * Writes `dst` as `src` with every cluster's server set to `preferred` and the extension naming
 * all `servers` (removed when there is only one).
 */
export async function pointKubeconfig(
  src: string,
  dst: string,
  preferred: string,
  servers: readonly string[],
): Promise<void> {
  const cfg = await loadKubeconfig(src);
  for (const c of cfg.clusters) {
    c.cluster.server = preferred;
    const others = (c.cluster.extensions ?? []).filter((e) => e.name !== APISERVERS_EXTENSION);
    const list = [preferred, ...servers.filter((s) => s !== preferred)];
    c.cluster.extensions =
      list.length > 1 ? [...others, { name: APISERVERS_EXTENSION, extension: { servers: list } }] : others;
    if (c.cluster.extensions.length === 0) delete c.cluster.extensions;
  }
  await writeKubeconfig(dst, cfg);
}
