// HTTP for discovery: /version, /api, /apis (legacy or aggregated by Accept), /api/v1,
// /apis/<g>, /apis/<g>/<v>. The catalog's documents are built once (it does not change at run
// time); remote APIServices' groups are added from the aggregator, rebuilt when they change.
import { createHash } from 'node:crypto';
import { newNotAcceptable } from '@mkube/shared/apierrors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Aggregator } from '../aggregator/index.js';
import { type APICatalog, DEFAULT_CATALOG } from '../registry/catalog.js';
import { notFoundStatus, sendStatus } from '../server/errors.js';
import { restfulGet } from '../server/methods.js';
import { type AggregatedVersion, aggregatedContentType, aggregatedDiscovery } from './aggregated.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from './legacy.js';
import { negotiateDiscovery } from './negotiate.js';
import { versionInfo } from './version.js';

interface Doc {
  /** A Buffer: fastify would rewrite the Content-Type of a string body (quoting g/v/as, adding charset). */
  readonly body: Buffer;
  readonly etag: string;
}

function doc(value: unknown): Doc {
  const body = Buffer.from(JSON.stringify(value));
  return { body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32).toUpperCase()}"` };
}

function sendJson(request: FastifyRequest, reply: FastifyReply, d: Doc, contentType = 'application/json'): void {
  reply.header('vary', 'Accept').header('etag', d.etag).header('cache-control', 'public');
  if (request.headers['if-none-match'] === d.etag) {
    reply.code(304).send();
    return;
  }
  reply.code(200).header('content-type', contentType).send(d.body);
}

/** The address clients should use: the one they connected to. */
function serverAddress(request: FastifyRequest): string {
  const host = request.headers[':authority'] ?? request.headers.host;
  if (typeof host === 'string' && host) return host;
  const s = request.socket;
  return s.localAddress?.includes(':') ? `[${s.localAddress}]:${s.localPort}` : `${s.localAddress}:${s.localPort}`;
}

export function registerDiscoveryRoutes(
  app: FastifyInstance,
  aggregator?: Aggregator,
  catalog: APICatalog = DEFAULT_CATALOG,
): void {
  const version = doc(versionInfo());
  const agg = (which: 'core' | 'groups', v: AggregatedVersion) => doc(aggregatedDiscovery(which, v, catalog));
  const aggregated: Record<'core' | 'groups', Record<AggregatedVersion, Doc>> = {
    core: { v2: agg('core', 'v2'), v2beta1: agg('core', 'v2beta1') },
    groups: { v2: agg('groups', 'v2'), v2beta1: agg('groups', 'v2beta1') },
  };
  const groupList = doc(apiGroupList(catalog));
  const localGroups = new Set(catalog.groups.map((g) => g.group));
  // /apis with the remote groups after the local ones, per aggregator generation.
  let withRemote: { generation: number; docs: Map<string, Doc> } | undefined;
  const groupsDoc = (form: 'legacy' | AggregatedVersion): Doc => {
    const gen = aggregator?.generation() ?? 0;
    if (!aggregator || gen === 0) return form === 'legacy' ? groupList : aggregated.groups[form];
    if (withRemote?.generation !== gen) withRemote = { generation: gen, docs: new Map() };
    let d = withRemote.docs.get(form);
    if (!d) {
      if (form === 'legacy') {
        const list = apiGroupList(catalog);
        d = doc({ ...list, groups: [...list.groups, ...aggregator.legacyGroups(localGroups)] });
      } else {
        const list = aggregatedDiscovery('groups', form, catalog);
        d = doc({ ...list, items: [...list.items, ...aggregator.aggregatedGroups(localGroups)] });
      }
      withRemote.docs.set(form, d);
    }
    return d;
  };

  restfulGet(app, '/version', (request, reply) => sendJson(request, reply, version));

  const root = (which: 'core' | 'groups') => (request: FastifyRequest, reply: FastifyReply) => {
    const f = negotiateDiscovery(request.headers.accept);
    if (f.kind === 'aggregated') {
      const d = which === 'core' ? aggregated.core[f.version] : groupsDoc(f.version);
      return sendJson(request, reply, d, aggregatedContentType(f.version));
    }
    if (f.kind === 'none') {
      return sendStatus(
        reply,
        newNotAcceptable(
          'only the following media types are accepted: application/json, application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
        ).toStatus(),
      );
    }
    if (which === 'core') return sendJson(request, reply, doc(apiVersions(serverAddress(request))));
    return sendJson(request, reply, groupsDoc('legacy'));
  };
  restfulGet(app, '/api', root('core'));
  restfulGet(app, '/apis', root('groups'));

  const resourceLists = new Map<string, Doc>();
  const listFor = (group: string, version: string): Doc | undefined => {
    const key = `${group}/${version}`;
    if (!resourceLists.has(key)) {
      const l = apiResourceList(group, version, catalog);
      if (!l) return undefined;
      resourceLists.set(key, doc(l));
    }
    return resourceLists.get(key);
  };
  restfulGet(app, '/api/:version', (request, reply) => {
    const d = listFor('', (request.params as { version: string }).version);
    return d ? sendJson(request, reply, d) : sendStatus(reply, notFoundStatus());
  });
  restfulGet(app, '/apis/:group', (request, reply) => {
    const name = (request.params as { group: string }).group;
    const g = apiGroup(name, catalog) ?? aggregator?.apiGroup(name, localGroups);
    return g
      ? sendJson(request, reply, doc({ kind: 'APIGroup', apiVersion: 'v1', ...g }))
      : sendStatus(reply, notFoundStatus());
  });
  const serveRemote = (request: FastifyRequest, reply: FastifyReply) => {
    const remote = aggregator?.remoteFor(request.url);
    return remote && request.mkube ? aggregator!.serve(remote, request, reply, request.mkube.user) : undefined;
  };
  restfulGet(
    app,
    '/apis/:group/:version',
    (request, reply) => {
      const p = request.params as { group: string; version: string };
      const d = listFor(p.group, p.version);
      return d ? sendJson(request, reply, d) : sendStatus(reply, notFoundStatus());
    },
    serveRemote,
  );
}
