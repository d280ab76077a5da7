// HTTP for /openapi/v3, /openapi/v3/<gv path> and /openapi/v2.
import type { FastifyInstance } from 'fastify';
import { parseAccept } from '../discovery/negotiate.js';
import { type APICatalog, DEFAULT_CATALOG } from '../registry/catalog.js';
import { notFoundStatus, sendStatus } from '../server/errors.js';
import { plainRoute } from '../server/methods.js';
import { groupVersionDocument, openAPIV3Root } from './v3.js';

/**
 * /openapi/v2 is only ever fetched as protobuf by kubectl. An empty body is a valid, empty
 * openapi_v2.Document: kubectl then finds no schema for a kind and skips client-side validation
 * rather than failing with "failed to download openapi".
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

export function registerOpenAPIRoutes(app: FastifyInstance, catalog: APICatalog = DEFAULT_CATALOG): void {
  const root = JSON.stringify(openAPIV3Root(catalog));
  const docs = new Map<string, string>();
  // kube-openapi's handlers look at no method.
  plainRoute(app, '/openapi/v3', (_request, reply) => {
    reply.code(200).header('content-type', 'application/json').send(root);
  });
  plainRoute(app, '/openapi/v3/*', (request, reply) => {
    const path = (request.params as { '*': string })['*'].replace(/\/+$/, '');
    const m = /^(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    const group = m?.[2] ?? '';
    const version = m?.[1] ?? m?.[3] ?? '';
    if (!docs.has(path)) {
      const d = m ? groupVersionDocument(group, version, catalog) : undefined;
      if (!d) return sendStatus(reply, notFoundStatus());
      docs.set(path, JSON.stringify(d));
    }
    reply
      .code(200)
      .header('content-type', 'application/json')
      .header('cache-control', 'public, immutable')
      .send(docs.get(path));
  });
  plainRoute(app, '/openapi/v2', (request, reply) => {
    const wantsJson = parseAccept(request.headers.accept ?? 'application/json').some(
      (m) => m.type === 'application/json',
    );
    const wantsProto = (request.headers.accept ?? '').includes('protobuf');
    if (wantsProto || !wantsJson) {
      reply.code(200).header('content-type', OPENAPI_V2_PROTOBUF).send(Buffer.alloc(0));
      return;
    }
    reply
      .code(200)
      .header('content-type', 'application/json')
      .send(
        JSON.stringify({
          swagger: '2.0',
          info: { title: 'Kubernetes', version: 'v1.33.0-mkube' },
          paths: {},
          definitions: {},
        }),
      );
  });
}
