// One scrape: every node's kubelet read at once, each within --kubelet-request-timeout, merged into
// one batch (metrics-server pkg/scraper). A node that fails is left out of this batch and logged; the
// others are kept.
import type { Node } from '@mkube/shared/api';
import type { Logger } from '@mkube/shared/log';
import type { MetricsBatch } from './decode.js';
import type { KubeletClient } from './kubelet.js';

export interface ScrapeResult {
  readonly batch: MetricsBatch;
  readonly failed: number;
  readonly durationMs: number;
}

export async function scrapeNodes(nodes: readonly Node[], client: KubeletClient, log: Logger): Promise<ScrapeResult> {
  const started = Date.now();
  const batch: MetricsBatch = { nodes: new Map(), pods: new Map() };
  let failed = 0;
  await Promise.all(
    nodes.map(async (node) => {
      const name = node.metadata.name ?? '';
      try {
        const r = await client.scrape(node);
        if (r.node) batch.nodes.set(name, r.node);
        for (const [key, pod] of r.pods) batch.pods.set(key, pod);
      } catch (e) {
        failed++;
        log.warn({ node: name, err: (e as Error).message }, 'Failed to scrape node');
      }
    }),
  );
  return { batch, failed, durationMs: Date.now() - started };
}
