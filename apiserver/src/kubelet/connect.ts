// Admission of CONNECT requests (k8s.io/apiserver endpoints/handlers/rest.go ConnectResource): before
// anything is dialled, pods/exec, attach and portforward and nodes/proxy are admitted with the
// versioned options decoded from the query as the object (PodExecOptions, …), operation CONNECT,
// so a webhook or policy can refuse `kubectl exec` before the pod is even looked up. pods/log is a
// GET and is not admitted, as upstream.
import type { KubeObject } from '@mkube/shared/api';
import type { UserInfo } from '@mkube/shared/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Admission, AdmissionAttributes } from '../admission/types.js';
import type { RequestInfo } from '../request/requestinfo.js';
import { appendWarnings, warningHeaderValue } from '../server/warnings.js';

/** Go's strconv.ParseBool truths, as the query parameter codec reads a bool. */
function bool(query: URLSearchParams, key: string): boolean {
  const v = query.get(key);
  return v !== null && ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);
}

/** Fields of the v1 options types with `omitempty`: false and "" are left out as the JSON encoder does. */
function streamFields(query: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['stdin', 'stdout', 'stderr', 'tty']) if (bool(query, k)) out[k] = true;
  const container = query.get('container');
  if (container) out.container = container;
  return out;
}

/** The options object a CONNECT on this subresource is admitted with; undefined when it is no CONNECT. */
/** A v1 *Options object (PodExecOptions, …): apiVersion and kind, no metadata. */
export interface ConnectOptions {
  readonly apiVersion: 'v1';
  readonly kind: string;
  readonly [field: string]: unknown;
}

export function connectOptions(info: RequestInfo, query: URLSearchParams, rawPath: string): ConnectOptions | undefined {
  const head = { apiVersion: 'v1' } as const;
  if (info.resource === 'pods') {
    switch (info.subresource) {
      case 'exec':
        // command has no omitempty: an exec without one still carries the (null) field.
        return {
          ...head,
          kind: 'PodExecOptions',
          ...streamFields(query),
          command: query.getAll('command'),
        };
      case 'attach':
        return { ...head, kind: 'PodAttachOptions', ...streamFields(query) };
      case 'portforward': {
        const ports = query
          .getAll('ports')
          .flatMap((p) => p.split(','))
          .map((p) => Number(p.trim()))
          .filter((p) => Number.isInteger(p));
        return { ...head, kind: 'PodPortForwardOptions', ...(ports.length ? { ports } : {}) };
      }
      default:
        return undefined;
    }
  }
  if (info.resource === 'nodes' && info.subresource === 'proxy') {
    // getRequestOptions: the path after the subresource, without its leading slash ("/" kept at the end).
    const m = /^\/api\/v1\/nodes\/[^/]+\/proxy\/?(.*)$/.exec(rawPath);
    const path = m?.[1] ?? '';
    return { ...head, kind: 'NodeProxyOptions', ...(path ? { path } : {}) };
  }
  return undefined;
}

/** Runs mutating then validating admission on a CONNECT; throws the plugin's StatusError to refuse. */
export async function admitConnect(
  admission: Admission | undefined,
  request: FastifyRequest,
  reply: FastifyReply,
  info: RequestInfo,
  user: UserInfo,
): Promise<void> {
  if (!admission) return;
  const [rawPath = '/', rawQuery = ''] = request.url.split('?', 2) as [string, string | undefined];
  const object = connectOptions(info, new URLSearchParams(rawQuery), rawPath);
  if (!object) return;
  const a: AdmissionAttributes = {
    operation: 'CONNECT',
    user,
    group: '',
    version: 'v1',
    resource: info.resource,
    subresource: info.subresource,
    kind: object.kind,
    namespace: info.namespace,
    name: info.name,
    // Options carry no metadata; admission reads them as the object all the same, as upstream's does.
    object: object as unknown as KubeObject,
    oldObject: undefined,
    dryRun: false,
    // On the response that follows: an error's, a proxied answer's (an upgrade's 101 is the WebSocket library's).
    addWarning: (text) => {
      const value = warningHeaderValue(text);
      if (value) appendWarnings(reply, [value]);
    },
    addAuditAnnotation: (key, value) => request.mkubeAudit?.annotate(key, value),
  };
  await admission.admit(a);
  await admission.validate(a);
}
