// The audit filter on fastify: the record is made once the handler chain has run (onRequest), the
// request body is read for it before the handler (preHandler), the answer as it is sent (onSend),
// and the stages follow the raw response (headers written, closed) or, for an upgrade, the socket.

import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestAudit } from '../audit/filter.js';
import { type Auditor, trackRequest } from '../audit/index.js';
import { decodeObjectBody, mediaType, parseJsonOrYaml } from '../endpoints/body.js';
import { PROTOBUF_CONTENT_TYPE } from '../protobuf/index.js';
import { findResource } from '../registry/catalog.js';
import { attributesOf, type ChainOutcome, type RequestView } from './chain.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's audit record, when the policy records it. */
    mkubeAudit?: RequestAudit;
  }
}

const DECISION = 'authorization.k8s.io/decision';
const REASON = 'authorization.k8s.io/reason';

export function auditRequest(
  auditor: Auditor,
  request: FastifyRequest,
  reply: FastifyReply,
  view: RequestView,
  outcome: ChainOutcome,
  /** What authentication added (a legacy token's use), on the event whether it succeeded or not. */
  authnAnnotations: readonly (readonly [string, string])[] = [],
  /** WithAuditInit's: the client's Audit-ID, else a new one; already on the response. */
  id: string = randomUUID(),
): void {
  // The record names who authenticated; whom they impersonated goes in impersonatedUser.
  const user = outcome.authenticatedUser ?? outcome.user;
  const areq = {
    url: view.url,
    headers: view.headers,
    remoteAddress: request.raw.socket?.remoteAddress,
    hasClientCertificate: view.peerCertificates.length > 0,
  };
  const attrs = attributesOf(outcome.info, user ?? { username: '', groups: [] });
  const audit = auditor.begin(areq, outcome.info, attrs, user !== undefined, id);
  if (!audit) return;
  for (const [k, v] of authnAnnotations) audit.annotate(k, v);
  if (!user) {
    audit.failedAuthentication(areq, outcome.ok ? 401 : outcome.error.code);
    return;
  }
  audit.requestReceived();
  // After RequestReceived, as upstream's WithImpersonation runs inside WithAudit.
  if (outcome.authenticatedUser && outcome.user) audit.impersonating(outcome.user);
  if (outcome.ok) {
    audit.annotate(DECISION, 'allow');
    audit.annotate(REASON, outcome.reason);
  } else if (outcome.error.code === 403 && !outcome.impersonationDenied) {
    audit.annotate(DECISION, 'forbid');
    audit.annotate(REASON, outcome.reason ?? '');
  }
  request.mkubeAudit = audit;
  trackRequest(request.raw, audit);
  const raw = reply.raw as unknown as {
    statusCode: number;
    writeHead: (...args: unknown[]) => unknown;
    once(event: 'close', fn: () => void): void;
  };
  const writeHead = raw.writeHead;
  raw.writeHead = function (this: unknown, code: unknown, ...rest: unknown[]) {
    audit.responseStarted(Number(code));
    return writeHead.call(this, code, ...rest);
  };
  raw.once('close', () => audit.responseComplete(raw.statusCode));
  // An upgraded connection is answered outside the reply; it ends when the socket does.
  if (request.headers.upgrade || request.headers.connection?.toLowerCase().includes('upgrade')) {
    request.raw.socket?.once('close', () => audit.responseComplete(raw.statusCode));
  }
}

const WRITE_VERBS = new Set(['create', 'update', 'patch']);

/** The decoded request object: names what a create makes; the body itself at Request level. */
export function auditRequestBody(request: FastifyRequest): void {
  const audit = request.mkubeAudit;
  const body = request.body;
  if (!audit || !Buffer.isBuffer(body) || body.length === 0) return;
  const info = request.mkube?.info;
  if (!info?.isResourceRequest || !WRITE_VERBS.has(info.verb)) return;
  const type = request.headers['content-type'];
  try {
    if (mediaType(type) === PROTOBUF_CONTENT_TYPE) {
      const def = findResource(info.apiGroup, info.apiVersion, info.resource);
      if (def && !info.subresource) audit.requestObject(decodeObjectBody(body, type, def));
    } else {
      audit.requestObject(parseJsonOrYaml(body, type));
    }
  } catch {
    // A body that does not decode is refused by the handler; the record keeps its metadata.
  }
}

/** The answer: a Status fills responseStatus; the body is kept at RequestResponse level. */
export function auditResponseBody(request: FastifyRequest, reply: FastifyReply, payload: unknown): void {
  const audit = request.mkubeAudit;
  if (!audit || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) return;
  const type = String(reply.getHeader('content-type') ?? '');
  if (!type.includes('json')) return;
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  const wanted = audit.level === 'RequestResponse' || text.startsWith('{"kind":"Status"');
  if (!wanted) return;
  try {
    audit.responseObject(JSON.parse(text));
  } catch {
    // Not JSON after all: nothing to record but the code.
  }
}
