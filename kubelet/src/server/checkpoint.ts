// POST /checkpoint/{namespace}/{pod}/{container} (ContainerCheckpoint, beta and on since 1.30),
// authorized as nodes/checkpoint. Upstream hands the request to the container runtime's
// CheckpointContainer; mkube's process runtime cannot freeze a process tree to an archive (that is
// CRIU's work), so it answers as kubelet does for a CRI that does not implement the call: 500, naming
// the container. The route, its authorization and its checks before the runtime are upstream's.
import type { FastifyInstance } from 'fastify';
import type { ProcessRuntime } from '../runtime/runtime.js';

export const CHECKPOINT_UNSUPPORTED =
  'rpc error: code = Unimplemented desc = the mkube process runtime cannot checkpoint a container';

export function registerCheckpoint(app: FastifyInstance, runtime: ProcessRuntime): void {
  app.post('/checkpoint/:ns/:pod/:container', async (req, reply) => {
    const { ns, pod, container } = req.params as { ns: string; pod: string; container: string };
    const text = (code: number, body: string) => reply.code(code).type('text/plain; charset=utf-8').send(body);
    const w = runtime.find(ns, pod);
    if (!w) return text(404, 'pod does not exist');
    if (!w.hasContainer(container)) return text(404, `container ${container} does not exist`);
    // The last `timeout` given, in seconds; upstream answers a bad one 404.
    const timeouts = new URL(req.url, 'https://kubelet').searchParams.getAll('timeout');
    const last = timeouts.at(-1);
    if (last !== undefined && !/^[+-]?\d+$/.test(last)) return text(404, 'cannot parse value of timeout parameter');
    return text(500, `checkpointing of ${ns}/${pod}/${container} failed (${CHECKPOINT_UNSUPPORTED})`);
  });
}
