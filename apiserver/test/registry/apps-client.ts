// A tiny HTTPS client for the apps/v1 tests: admin requests to a fixture, answers as JSON.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { Fixture } from '../server/fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: Status bodies and objects are read field by field
export type Json = any;
export interface Reply {
  readonly code: number;
  readonly json: Json;
}

export function sender(fx: () => Fixture) {
  return (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    accept?: string,
  ): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const f = fx();
      const r = request(
        new URL(path, f.url),
        {
          method,
          ca: readFileSync(f.pki.caCrt),
          cert: readFileSync(f.pki.adminCrt),
          key: readFileSync(f.pki.adminKey),
          agent: false,
          headers: {
            ...(data ? { 'content-type': contentType, 'content-length': Buffer.byteLength(data) } : {}),
            ...(accept ? { accept } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ code: res.statusCode ?? 0, json: text.startsWith('{') ? JSON.parse(text) : text });
          });
        },
      );
      r.on('error', reject);
      r.end(data);
    });
}

/** A refusal: its code, reason and exact message. */
export function refused(r: Reply, code: number, reason: string, message: string): void {
  assert.equal(r.code, code, JSON.stringify(r.json));
  assert.equal(r.json.kind, 'Status');
  assert.equal(r.json.reason, reason);
  assert.equal(r.json.message, message);
}

export const APPS = '/apis/apps/v1/namespaces/default';

const container = (image = 'busybox') => ({ name: 'c', image });

export const deployment = (name: string, extra: Json = {}, labels: Json = { app: name }) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels }, spec: { containers: [container()] } },
    ...extra,
  },
});

export const replicaSet = (name: string, extra: Json = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [container('nginx:1.27')] } },
    ...extra,
  },
});

export const daemonSet = (name: string, extra: Json = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name },
  spec: {
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [container()] } },
    ...extra,
  },
});

export const statefulSet = (name: string, extra: Json = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name },
  spec: {
    serviceName: name,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [container()] } },
    ...extra,
  },
});
