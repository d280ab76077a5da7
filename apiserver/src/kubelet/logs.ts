// GET pods/{name}/log: the kubelet's /containerLogs streamed through (pkg/registry/core/pod/rest/log.go).
import { fieldErrors, newBadRequest, newInvalid, newMethodNotSupported, toStatusError } from '@mkube/shared/apierrors';
import type { ResourceRequestContext } from '../server/context.js';
import type { KubeletProxyDeps } from './deps.js';
import { BackendError, dialErrorText, kubeletResponseError, urlErrorText } from './errors.js';
import { containerEndpoint } from './target.js';

const MAX_ERROR_BODY = 50_000;

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v))
    throw newBadRequest(`${name}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

/** The kubelet's query (LogLocation): PodLogOptions re-encoded, keys sorted as url.Values.Encode. */
export function logParams(query: URLSearchParams, podName: string): URLSearchParams {
  const sinceSeconds = intParam(query, 'sinceSeconds');
  const tailLines = intParam(query, 'tailLines');
  const limitBytes = intParam(query, 'limitBytes');
  const sinceTimeRaw = query.get('sinceTime') || undefined;
  const errs = [];
  if (tailLines !== undefined && tailLines < 0)
    errs.push(fieldErrors.invalid('tailLines', tailLines, 'must be greater than or equal to 0'));
  if (limitBytes !== undefined && limitBytes < 1)
    errs.push(fieldErrors.invalid('limitBytes', limitBytes, 'must be greater than 0'));
  if (sinceSeconds !== undefined && sinceTimeRaw !== undefined)
    errs.push(fieldErrors.forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  if (sinceSeconds !== undefined && sinceSeconds < 1)
    errs.push(fieldErrors.invalid('sinceSeconds', sinceSeconds, 'must be greater than 0'));
  if (errs.length > 0) throw newInvalid({ group: '', kind: 'PodLogOptions' }, podName, errs);
  let sinceTime: string | undefined;
  if (sinceTimeRaw !== undefined) {
    const t = new Date(sinceTimeRaw);
    if (Number.isNaN(t.getTime()))
      throw newBadRequest(`sinceTime: parsing time ${JSON.stringify(sinceTimeRaw)}: cannot parse as RFC3339`);
    sinceTime = t.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  const out: [string, string][] = [];
  if (isTrue(query.get('follow'))) out.push(['follow', 'true']);
  if (isTrue(query.get('insecureSkipTLSVerifyBackend'))) out.push(['insecureSkipTLSVerifyBackend', 'true']);
  if (limitBytes !== undefined) out.push(['limitBytes', String(limitBytes)]);
  if (isTrue(query.get('previous'))) out.push(['previous', 'true']);
  if (sinceSeconds !== undefined) out.push(['sinceSeconds', String(sinceSeconds)]);
  if (sinceTime !== undefined) out.push(['sinceTime', sinceTime]);
  const stream = query.get('stream');
  if (stream) out.push(['stream', stream]);
  if (tailLines !== undefined) out.push(['tailLines', String(tailLines)]);
  if (isTrue(query.get('timestamps'))) out.push(['timestamps', 'true']);
  return new URLSearchParams(out);
}

async function readSome(res: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c);
    if (size < MAX_ERROR_BODY) chunks.push(b);
    size += b.length;
  }
  return Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8');
}

export async function serveLogs(deps: KubeletProxyDeps, c: ResourceRequestContext): Promise<void> {
  const { info, reply } = c;
  const query = new URLSearchParams(c.request.url.split('?')[1] ?? '');
  try {
    if (info.verb !== 'get') throw newMethodNotSupported({ group: '', resource: 'pods/log' }, info.verb);
    const params = logParams(query, info.name);
    const { target: t, path } = await containerEndpoint(
      deps.registries,
      deps.config.preferredAddressTypes,
      info,
      query.get('container') ?? '',
      'containerLogs',
      params.toString(),
    );
    const abort = new AbortController();
    const raw = reply.raw;
    raw.once('close', () => abort.abort());
    let res: Awaited<ReturnType<typeof deps.client.request>>;
    try {
      res = await deps.client.request({ method: 'GET', location: t.location, path, signal: abort.signal });
    } catch (e) {
      if (abort.signal.aborted) return;
      const text = dialErrorText(e, t.location.host, t.location.port);
      throw new BackendError(urlErrorText('GET', deps.client.url(t.location, path), text));
    }
    const code = res.statusCode ?? 500;
    if (code < 200 || code > 206) {
      throw kubeletResponseError(code, await readSome(res), 'pods/log', info.name);
    }
    reply.hijack();
    raw.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-cache, private' });
    (raw as { flushHeaders?: () => void }).flushHeaders?.();
    res.on('error', () => raw.destroy());
    abort.signal.addEventListener('abort', () => res.destroy(), { once: true });
    res.pipe(raw);
  } catch (e) {
    const err = toStatusError(e);
    if (err.code >= 500) deps.log.warn({ err: err.message, path: info.path }, 'kubelet request failed');
    if (!reply.sent && !reply.raw.headersSent) {
      reply.code(err.code).header('content-type', 'application/json').send(JSON.stringify(err.toStatus()));
    }
  }
}
