// fastify reads a body only when the request declares one (Content-Type, Content-Length or
// Transfer-Encoding). Over HTTP/2 a body needs none of them: its DATA frames are the body, and Go's
// server reads it all the same. kubectl's `replace --raw` and `create --raw` send exactly that, so
// without this their PUT reached /debug/flags/v and the node proxy empty.
import { newRequestEntityTooLarge } from '@mkube/shared/apierrors';
import { readBody } from '@mkube/shared/net';
import type { FastifyInstance } from 'fastify';
import { MAX_REQUEST_BODY_BYTES, sendStatus } from './errors.js';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function readUndeclaredBodies(app: FastifyInstance): void {
  app.addHook('preValidation', async (request, reply) => {
    if (request.body !== undefined || !BODY_METHODS.has(request.method)) return;
    const raw = request.raw;
    if (raw.httpVersionMajor !== 2 || raw.readableEnded) return;
    const body = await readBody(raw as AsyncIterable<Buffer>, MAX_REQUEST_BODY_BYTES);
    if (!body) {
      sendStatus(reply, newRequestEntityTooLarge(`limit is ${MAX_REQUEST_BODY_BYTES}`).toStatus());
      return reply;
    }
    if (body.length > 0) request.body = body;
  });
}
