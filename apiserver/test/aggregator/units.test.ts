// The aggregator's pure parts: header escaping as client-go's, the order discovery lists APIServices
// in, and legacy discovery turned into aggregated discovery.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { APIService } from '@mkube/shared/api';
import { compareKubeAwareVersion, sortedByGroupAndVersion } from '../../src/aggregator/apiservices.ts';
import { toResourceDiscovery } from '../../src/aggregator/discovery.ts';
import { groupVersionOfPath } from '../../src/aggregator/index.ts';
import { authProxyHeaders, headerKeyEscape, proxiedHeaders } from '../../src/aggregator/proxy.ts';
import { configError, loadConfig, makePki, tempDir } from '../server/fixture.ts';

const svc = (group: string, version: string, gp: number, vp: number): APIService => ({
  apiVersion: 'apiregistration.k8s.io/v1',
  kind: 'APIService',
  metadata: { name: `${version}.${group}` },
  spec: { group, version, groupPriorityMinimum: gp, versionPriority: vp, service: { namespace: 'x', name: 'y' } },
});

describe('aggregator', () => {
  it("escapes extra keys as client-go's headerKeyEscape (the requestheader authenticator unescapes them)", () => {
    assert.equal(headerKeyEscape('scopes'), 'scopes');
    assert.equal(headerKeyEscape('example.com/scopes'), 'example.com%2Fscopes');
    assert.equal(headerKeyEscape('100%'), '100%25');
    assert.equal(headerKeyEscape('ünï'), '%C3%BCn%C3%AF');
    assert.equal(decodeURIComponent(headerKeyEscape('a b/ü%')), 'a b/ü%');
  });

  it('sends the user as front-proxy headers and drops what the client sent', () => {
    const user = {
      username: 'alice',
      uid: 'u-1',
      groups: ['devs', 'system:authenticated'],
      extra: { 'example.com/scopes': ['read', 'write'] },
    };
    assert.deepEqual(authProxyHeaders(user), {
      'x-remote-user': 'alice',
      'x-remote-uid': 'u-1',
      'x-remote-group': ['devs', 'system:authenticated'],
      'x-remote-extra-example.com%2Fscopes': ['read', 'write'],
    });
    const h = proxiedHeaders(
      {
        authorization: 'Bearer secret',
        'impersonate-user': 'root',
        'x-remote-user': 'mallory',
        'x-remote-extra-foo': 'bar',
        connection: 'keep-alive',
        ':path': '/x',
        accept: 'application/json',
        'content-type': 'application/json',
      },
      { username: 'bob', groups: [] },
    );
    assert.deepEqual(h, { accept: 'application/json', 'content-type': 'application/json', 'x-remote-user': 'bob' });
  });

  it('orders versions as Kubernetes does: GA, beta, alpha, then other names', () => {
    const sorted = ['v1alpha1', 'foo', 'v2', 'v1beta2', 'v1', 'v11alpha2', 'v1beta1', 'bar'].sort(
      compareKubeAwareVersion,
    );
    assert.deepEqual(sorted, ['v2', 'v1', 'v1beta2', 'v1beta1', 'v11alpha2', 'v1alpha1', 'bar', 'foo']);
  });

  it('orders groups by priority then name, versions by versionPriority then version', () => {
    const out = sortedByGroupAndVersion([
      svc('b.example.com', 'v1', 100, 10),
      svc('a.example.com', 'v1beta1', 100, 10),
      svc('a.example.com', 'v1', 100, 10),
      svc('a.example.com', 'v1alpha1', 100, 20),
      svc('metrics.k8s.io', 'v1beta1', 1000, 100),
    ]);
    assert.deepEqual(
      out.map((g) => g.map((s) => s.metadata.name)),
      [
        ['v1beta1.metrics.k8s.io'],
        ['v1alpha1.a.example.com', 'v1.a.example.com', 'v1beta1.a.example.com'],
        ['v1.b.example.com'],
      ],
    );
  });

  it('folds subresources into their resource for aggregated discovery', () => {
    const d = toResourceDiscovery(
      {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'metrics.k8s.io/v1beta1',
        resources: [
          { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
          {
            name: 'pods',
            singularName: 'pod',
            namespaced: true,
            kind: 'PodMetrics',
            verbs: ['get'],
            shortNames: ['pm'],
          },
          { name: 'pods/status', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get'] },
        ],
      },
      'metrics.k8s.io',
      'v1beta1',
    );
    assert.deepEqual(d, [
      {
        resource: 'nodes',
        responseKind: { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'NodeMetrics' },
        scope: 'Cluster',
        singularResource: 'nodemetrics',
        verbs: ['get', 'list'],
      },
      {
        resource: 'pods',
        responseKind: { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics' },
        scope: 'Namespaced',
        singularResource: 'pod',
        verbs: ['get'],
        shortNames: ['pm'],
        subresources: [
          {
            subresource: 'status',
            responseKind: { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics' },
            verbs: ['get'],
          },
        ],
      },
    ]);
  });

  it('reads the group version off /apis paths only', () => {
    assert.deepEqual(groupVersionOfPath('/apis/metrics.k8s.io/v1beta1'), {
      group: 'metrics.k8s.io',
      version: 'v1beta1',
    });
    assert.deepEqual(groupVersionOfPath('/apis/metrics.k8s.io/v1beta1/nodes/n1'), {
      group: 'metrics.k8s.io',
      version: 'v1beta1',
    });
    assert.equal(groupVersionOfPath('/apis/metrics.k8s.io'), undefined);
    assert.equal(groupVersionOfPath('/api/v1/pods'), undefined);
  });

  it('refuses a proxy client certificate without its key, or with a key that is not its own', () => {
    const dir = tempDir('proxyclient');
    try {
      const pki = makePki(dir);
      const data = join(dir, 'data');
      assert.match(
        configError(() => loadConfig(pki, data, [`--proxy-client-cert-file=${pki.adminCrt}`])),
        /--proxy-client-key-file.*must be set with --proxy-client-cert-file/,
      );
      assert.match(
        configError(() =>
          loadConfig(pki, data, [
            `--proxy-client-cert-file=${pki.adminCrt}`,
            `--proxy-client-key-file=${pki.serverKey}`,
          ]),
        ),
        /--proxy-client-key-file.*private key does not match public key in --proxy-client-cert-file/,
      );
      writeFileSync(join(dir, 'empty.crt'), '');
      assert.match(
        configError(() =>
          loadConfig(pki, data, [
            `--proxy-client-cert-file=${join(dir, 'empty.crt')}`,
            `--proxy-client-key-file=${pki.adminKey}`,
          ]),
        ),
        /--proxy-client-cert-file/,
      );
      const ok = loadConfig(pki, data, [
        `--proxy-client-cert-file=${pki.adminCrt}`,
        `--proxy-client-key-file=${pki.adminKey}`,
      ]);
      assert.equal(ok.proxyClient.certFile, pki.adminCrt);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
