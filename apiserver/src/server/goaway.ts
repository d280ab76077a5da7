// --goaway-chance, as genericfilters.WithProbabilisticGoaway: behind a load balancer an HTTP/2
// client would keep its one connection, and so its one apiserver, for ever; a small fraction of
// requests therefore end their connection with a GOAWAY. The request that drew it, and every other
// stream open on the connection, still completes; the client closes the connection once they are
// done (Go's transport, kubectl and mkube's client all do) and its next request dials again.
import type { Http2ServerRequest } from 'node:http2';
import type { FastifyInstance } from 'fastify';

export function registerProbabilisticGoaway(app: FastifyInstance, chance: number, random = Math.random): void {
  if (!(chance > 0)) return;
  app.addHook('onRequest', async (request) => {
    if (request.raw.httpVersionMajor !== 2 || random() >= chance) return;
    const session = (request.raw as unknown as Http2ServerRequest).stream?.session;
    // goaway() and not close(): Node 20's close() tears the session down on the server's side while
    // the client may still be sending, and under concurrent streams that corrupted the heap (an
    // abort in malloc within 3,000 requests; none in 75,000 with goaway()). The client's close is
    // the ordinary disconnect every connection ends with.
    if (session && !session.closed && !session.destroyed) session.goaway();
  });
}
