// Auditing in the request path, as k8s.io/apiserver's WithAudit and WithFailedAuthenticationAudit:
// each request gets an Audit-Id; the policy decides the level from the request's attributes; events
// go to the backend at RequestReceived, ResponseStarted (long-running requests: watch, proxy, exec,
// attach, port-forward, log) and ResponseComplete. A request that fails authentication is recorded
// once, at ResponseStarted, with no user and the methods it tried.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { microTime } from '@mkube/shared/api';
import type { Status } from '@mkube/shared/apierrors';
import type { Attributes, UserInfo } from '@mkube/shared/auth';
import type { RequestInfo } from '../request/requestinfo.js';
import type { AuditBackend } from './backend.js';
import type { PolicyRuleEvaluator } from './policy.js';
import {
  type AuditEvent,
  type AuditResponseStatus,
  levelAtLeast,
  type RequestAuditConfig,
  type Stage,
} from './types.js';

const LONG_RUNNING_VERBS = new Set(['watch', 'proxy']);
const LONG_RUNNING_SUBRESOURCES = new Set(['attach', 'exec', 'proxy', 'log', 'portforward']);

/** BasicLongRunningRequestCheck: these hold the connection, so their start is recorded too. */
export function isLongRunning(info: RequestInfo): boolean {
  return (
    LONG_RUNNING_VERBS.has(info.verb) || (info.isResourceRequest && LONG_RUNNING_SUBRESOURCES.has(info.subresource))
  );
}

export interface AuditRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly remoteAddress: string | undefined;
  readonly hasClientCertificate: boolean;
}

/** utilnet.SourceIPs: X-Forwarded-For, then X-Real-Ip, then the connection's address. */
function sourceIPs(r: AuditRequest): string[] {
  const header = (n: string): string => {
    const v = r.headers[n];
    return typeof v === 'string' ? v : (v ?? []).join(',');
  };
  const ips = header('x-forwarded-for')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const real = header('x-real-ip').trim();
  if (real && !ips.includes(real)) ips.push(real);
  const remote = r.remoteAddress?.replace(/^::ffff:/, '');
  if (remote && ips[ips.length - 1] !== remote) ips.push(remote);
  return ips;
}

/** getAuthMethods: what a request that failed authentication presented. */
function authMethods(r: AuditRequest): string {
  const methods: string[] = [];
  const auth = String(r.headers.authorization ?? '').trim();
  const [scheme = '', ...rest] = auth.split(' ');
  if (scheme.toLowerCase() === 'basic' && rest.length) methods.push('basic');
  if (scheme.toLowerCase() === 'bearer' && rest.length) methods.push('bearer');
  if (new URLSearchParams(r.url.split('?')[1] ?? '').get('access_token')?.trim()) methods.push('access_token');
  if (r.hasClientCertificate) methods.push('x509');
  return methods.length
    ? `Authentication failed, attempted: ${methods.join(', ')}`
    : 'Authentication failed, no credentials provided';
}

function objectRef(info: RequestInfo): AuditEvent['objectRef'] {
  if (!info.isResourceRequest) return undefined;
  const ref: NonNullable<AuditEvent['objectRef']> = { resource: info.resource };
  if (info.namespace) ref.namespace = info.namespace;
  if (info.name) ref.name = info.name;
  if (info.apiGroup) ref.apiGroup = info.apiGroup;
  if (info.apiVersion) ref.apiVersion = info.apiVersion;
  if (info.subresource) ref.subresource = info.subresource;
  return ref;
}

function userOf(u: UserInfo | undefined): AuditEvent['user'] {
  if (!u) return {};
  const out: AuditEvent['user'] = { username: u.username };
  if (u.uid) out.uid = u.uid;
  if (u.groups?.length) out.groups = [...u.groups];
  if (u.extra && Object.keys(u.extra).length) out.extra = { ...u.extra } as Record<string, string[]>;
  return out;
}

/** One request's audit record, written at each stage its policy does not omit. */
export class RequestAudit {
  private readonly received = new Date();
  private readonly event: AuditEvent;
  private started = false;
  private completed = false;

  constructor(
    readonly id: string,
    private readonly config: RequestAuditConfig,
    private readonly backend: AuditBackend,
    req: AuditRequest,
    info: RequestInfo,
    user: UserInfo | undefined,
    private readonly longRunning: boolean,
  ) {
    this.event = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: config.level,
      auditID: id,
      stage: 'RequestReceived',
      requestURI: req.url,
      verb: info.verb,
      user: userOf(user),
      sourceIPs: sourceIPs(req),
      requestReceivedTimestamp: microTime(this.received),
      stageTimestamp: microTime(this.received),
    };
    const ua = req.headers['user-agent'];
    if (ua) this.event.userAgent = String(ua);
    const ref = objectRef(info);
    if (ref) this.event.objectRef = ref;
  }

  get level() {
    return this.config.level;
  }

  /** LogImpersonatedUser. */
  impersonating(u: UserInfo): void {
    this.event.impersonatedUser = userOf(u);
  }

  annotate(key: string, value: string): void {
    this.event.annotations = { ...this.event.annotations, [key]: value };
  }

  private emit(stage: Stage): void {
    if (this.config.omitStages.has(stage)) return;
    this.event.stage = stage;
    this.event.stageTimestamp = microTime(new Date());
    this.backend.write(this.event);
  }

  requestReceived(): void {
    this.emit('RequestReceived');
  }

  /** LogRequestObject: names a created object in objectRef; the body itself from Request level on. */
  requestObject(obj: unknown): void {
    const meta = (obj as { metadata?: Record<string, unknown> } | null)?.metadata;
    const ref = this.event.objectRef;
    if (ref && meta && typeof meta === 'object') {
      if (!ref.namespace && typeof meta.namespace === 'string' && meta.namespace) ref.namespace = meta.namespace;
      if (!ref.name && typeof meta.name === 'string' && meta.name) ref.name = meta.name;
      if (!ref.uid && typeof meta.uid === 'string' && meta.uid) ref.uid = meta.uid;
      if (!ref.resourceVersion && typeof meta.resourceVersion === 'string' && meta.resourceVersion) {
        ref.resourceVersion = meta.resourceVersion;
      }
    }
    if (ref && levelAtLeast(this.config.level, 'Request')) this.event.requestObject = obj;
  }

  /** LogResponseObject: a Status answer fills responseStatus; the body is kept at RequestResponse. */
  responseObject(obj: unknown): void {
    const o = obj as Partial<Status> | null;
    if (o && o.kind === 'Status') {
      const s: AuditResponseStatus = { metadata: {} };
      if (o.status) s.status = o.status;
      if (o.message) s.message = o.message;
      if (o.reason) s.reason = o.reason;
      if (o.details) s.details = o.details;
      if (o.code) s.code = o.code;
      this.event.responseStatus = s;
    }
    if (this.event.objectRef && levelAtLeast(this.config.level, 'RequestResponse')) this.event.responseObject = obj;
  }

  private setCode(code: number): void {
    this.event.responseStatus ??= { metadata: {} };
    this.event.responseStatus.code = code;
  }

  /** Headers are going out: long-running requests record it (processCode). */
  responseStarted(code: number): void {
    if (this.started) return;
    this.started = true;
    this.setCode(code);
    if (this.longRunning) this.emit('ResponseStarted');
  }

  responseComplete(code: number): void {
    if (this.completed) return;
    this.completed = true;
    if (!this.started) {
      this.setCode(code);
      // A long-running request that never sent headers still gets its ResponseStarted.
      if (this.longRunning) this.emit('ResponseStarted');
    }
    this.emit('ResponseComplete');
  }

  /** WithFailedAuthenticationAudit: one event at ResponseStarted, with what was attempted. */
  failedAuthentication(req: AuditRequest, code: number): void {
    this.event.responseStatus = { metadata: {}, message: authMethods(req), code };
    this.started = this.completed = true;
    this.emit('ResponseStarted');
  }
}

/** apiserver_audit_level_total and apiserver_audit_event_total. */
export interface AuditMetrics {
  /** Every request's policy level, None included (ObservePolicyLevel). */
  level(level: string): void;
  /** An event handed to the backends (ObserveEvent). */
  event(): void;
}

export class Auditor {
  private readonly backend: AuditBackend;

  constructor(
    private readonly policy: PolicyRuleEvaluator,
    backend: AuditBackend,
    private readonly metrics?: AuditMetrics,
  ) {
    this.backend = metrics
      ? {
          write: (e) => {
            metrics.event();
            backend.write(e);
          },
          close: () => backend.close(),
        }
      : backend;
  }

  /** The request's audit record, or undefined when its policy level is None. */
  begin(
    req: AuditRequest,
    info: RequestInfo,
    attrs: Attributes,
    authenticated: boolean,
    id: string = randomUUID(),
  ): RequestAudit | undefined {
    const config = this.policy.evaluate(attrs, authenticated);
    this.metrics?.level(config.level);
    if (config.level === 'None') return undefined;
    return new RequestAudit(
      id,
      config,
      this.backend,
      req,
      info,
      authenticated ? attrs.user : undefined,
      isLongRunning(info),
    );
  }

  close(): void {
    this.backend.close();
  }
}

/** Upgrades answered outside the HTTP response (WebSocket 101, SPDY 101) are reported here. */
const byRequest = new WeakMap<IncomingMessage, RequestAudit>();

export function trackRequest(raw: IncomingMessage, audit: RequestAudit): void {
  byRequest.set(raw, audit);
}

export function noteSwitchingProtocols(raw: IncomingMessage): void {
  byRequest.get(raw)?.responseStarted(101);
}
