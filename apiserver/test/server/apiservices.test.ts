// apiregistration.k8s.io/v1 APIServices with real kubectl: the apiserver registers a Local one per
// group version it serves (upstream's priorities, the onstart label, Available=True "Local"),
// validates users' ones as kube-aggregator does, and judges one naming a missing Service unavailable.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, type Fixture, kubectl, startFixture } from './fixture.ts';

describe('APIServices', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(async () => f?.close());

  it('kubectl get apiservices: a Local, available one per served group version', async () => {
    const r = await kubectl(f, ['get', 'apiservices']);
    assert.equal(r.status, 0, r.err);
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/));
    assert.deepEqual(rows[0], ['NAME', 'SERVICE', 'AVAILABLE', 'AGE']);
    assert.deepEqual(
      rows.slice(1).map((c) => c.slice(0, 3).join(' ')),
      [
        'v1. Local True',
        'v1.admissionregistration.k8s.io Local True',
        'v1.authentication.k8s.io Local True',
        'v1.authorization.k8s.io Local True',
        'v1.certificates.k8s.io Local True',
        'v1.coordination.k8s.io Local True',
        'v1.discovery.k8s.io Local True',
        'v1.flowcontrol.apiserver.k8s.io Local True',
        'v1.policy Local True',
        'v1.rbac.authorization.k8s.io Local True',
        'v1.scheduling.k8s.io Local True',
      ],
    );
    const one = JSON.parse((await kubectl(f, ['get', 'apiservice', 'v1.certificates.k8s.io', '-o', 'json'])).out);
    assert.deepEqual(one.spec, {
      group: 'certificates.k8s.io',
      version: 'v1',
      groupPriorityMinimum: 17300,
      versionPriority: 15,
    });
    assert.equal(one.metadata.labels['kube-aggregator.kubernetes.io/automanaged'], 'onstart');
    const c = one.status.conditions[0];
    assert.deepEqual(
      [c.type, c.status, c.reason, c.message],
      ['Available', 'True', 'Local', 'Local APIServices are always available'],
    );
  });

  it('validates as kube-aggregator; one naming a missing Service is stored and marked unavailable', async () => {
    const file = join(f.dir, 'apiservice.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: apiregistration.k8s.io/v1',
        'kind: APIService',
        'metadata: {name: v1.metrics.k8s.io}',
        'spec: {group: metrics.k8s.io, version: v1beta1, groupPriorityMinimum: 0, versionPriority: 100,',
        '  service: {namespace: kube-system, name: metrics-server}}',
        '',
      ].join('\n'),
    );
    const bad = await kubectl(f, ['create', '-f', file]);
    assert.notEqual(bad.status, 0);
    assert.match(
      bad.err,
      /The APIService "v1\.metrics\.k8s\.io" is invalid: \n\* metadata\.name: Invalid value: "v1\.metrics\.k8s\.io": must be `spec\.version\+"\."\+spec\.group`: "v1beta1\.metrics\.k8s\.io"\n\* spec\.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000/,
    );
    writeFileSync(
      file,
      [
        'apiVersion: apiregistration.k8s.io/v1',
        'kind: APIService',
        'metadata: {name: v1beta1.metrics.k8s.io}',
        'spec: {group: metrics.k8s.io, version: v1beta1, groupPriorityMinimum: 100, versionPriority: 100,',
        '  insecureSkipTLSVerify: true, service: {namespace: kube-system, name: metrics-server}}',
        '',
      ].join('\n'),
    );
    const ok = await kubectl(f, ['create', '-f', file]);
    assert.equal(ok.status, 0, ok.err);
    // The availability controller's verdict (the aggregator suite covers the rest of it).
    await eventually('the APIService judged', async () =>
      (await kubectl(f, ['get', 'apiservice', 'v1beta1.metrics.k8s.io', '--no-headers'])).out.includes('False'),
    );
    const row = (await kubectl(f, ['get', 'apiservice', 'v1beta1.metrics.k8s.io', '--no-headers'])).out.split(/\s+/);
    assert.deepEqual(row.slice(0, 4), [
      'v1beta1.metrics.k8s.io',
      'kube-system/metrics-server',
      'False',
      '(ServiceNotFound)',
    ]);
  });
});
