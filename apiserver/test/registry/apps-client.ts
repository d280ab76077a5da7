// The apps/v1 tests' requests (the fixture's admin) and objects.
import assert from 'node:assert/strict';
import { adminRequest, type Fixture, type AdminReply as Reply } from '../server/fixture.ts';

export type { Reply };
// biome-ignore lint/suspicious/noExplicitAny: Status bodies and objects are read field by field
export type Json = any;

export function sender(fx: () => Fixture) {
  return (method: string, path: string, body?: unknown, contentType?: string, accept?: string): Promise<Reply> =>
    adminRequest(fx(), method, path, body, { ...(contentType ? { contentType } : {}), ...(accept ? { accept } : {}) });
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
