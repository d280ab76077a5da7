// Helpers of the admission webhook suites: a real apiserver, a real HTTPS webhook (its CA handed to
// the apiserver as caBundle), configurations written as YAML for `kubectl apply -f`, and plain
// JSON calls through curl where kubectl's own output is not what a test checks.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startWebhookServer, type WebhookRequest, type WebhookServer } from '../auth/webhook-fixture.ts';
import { curl, type Fixture, kubectl, startFixture } from './fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: reviews and objects are read field by field
export type Json = any;

export interface Hook {
  readonly name: string;
  /** Path on the test's webhook server. */
  readonly path?: string;
  readonly url?: string;
  readonly service?: Record<string, unknown>;
  readonly resources?: string[];
  readonly operations?: string[];
  /** Fields of the webhook set as they are (they win over the ones above). */
  readonly extra?: Record<string, unknown>;
}

export type Kind = 'Validating' | 'Mutating';

export interface Env {
  readonly f: Fixture;
  readonly wh: WebhookServer;
  readonly caBundle: string;
  close(): Promise<void>;
}

export async function startEnv(extraArgs: string[] = []): Promise<Env> {
  const f = await startFixture(extraArgs);
  const wh = await startWebhookServer(join(f.dir, 'webhook'), () => ({}));
  return {
    f,
    wh,
    caBundle: readFileSync(wh.pki.caCrt).toString('base64'),
    async close() {
      await wh.close();
      await f.close();
    },
  };
}

/** The reviews that reached `path`, oldest first. */
export const reviews = (wh: WebhookServer, path: string): Json[] =>
  wh.requests.filter((r: WebhookRequest) => r.path.split('?')[0] === path).map((r) => r.body);

/** A configuration object: each webhook on its own path of the test server unless it names a URL or service. */
export function configuration(env: Env, kind: Kind, name: string, hooks: Hook[]): Json {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: `${kind}WebhookConfiguration`,
    metadata: { name },
    webhooks: hooks.map((h) => ({
      name: h.name,
      clientConfig: h.service
        ? { service: h.service, caBundle: env.caBundle }
        : { url: h.url ?? `${env.wh.url}${h.path}`, caBundle: env.caBundle },
      rules: [
        {
          operations: h.operations ?? ['CREATE', 'UPDATE'],
          apiGroups: [''],
          apiVersions: ['v1'],
          resources: h.resources ?? ['configmaps'],
        },
      ],
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      ...h.extra,
    })),
  };
}

/** `kubectl apply -f` of the objects, written as one multi-document YAML file. */
export async function applyYaml(env: Env, file: string, objects: Json[], bin?: string) {
  const path = join(env.f.dir, file);
  writeFileSync(path, objects.map((o) => stringify(o)).join('---\n'));
  return kubectl(env.f, ['apply', '-f', path], bin);
}

/** A JSON request with the admin's certificate. */
export async function api(env: Env, method: string, path: string, body?: unknown) {
  const args = ['-X', method, '-H', 'Content-Type: application/json'];
  if (body !== undefined) args.push('--data-binary', JSON.stringify(body));
  const r = await curl(env.f, path, args);
  return { code: r.code, body: r.body ? JSON.parse(r.body) : undefined, raw: r.body };
}

/** Deletes a configuration; the watch-fed cache follows a moment later. */
export async function removeConfiguration(env: Env, kind: Kind, name: string): Promise<number> {
  const r = await api(
    env,
    'DELETE',
    `/apis/admissionregistration.k8s.io/v1/${kind.toLowerCase()}webhookconfigurations/${name}`,
  );
  await new Promise((res) => setTimeout(res, 50));
  return r.code;
}

/** An AdmissionReview answer. */
export function answer(review: Json, response: Record<string, unknown> = {}): Json {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: review.request.uid, allowed: true, ...response },
  };
}

/** A free local port nothing listens on (a webhook that is down). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export const configMap = (name: string, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...(labels ? { labels } : {}) },
});
