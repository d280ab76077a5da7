// The real kubectl (oldest and newest supported) against a real apiserver with a client-cert kubeconfig.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Fixture, kubectl, kubectlBinary, startFixture } from './fixture.ts';

const EXPECTED_RESOURCES = [
  // NAME SHORTNAMES APIVERSION NAMESPACED KIND VERBS
  ['configmaps', 'cm', 'v1', 'true', 'ConfigMap', 'create,delete,deletecollection,get,list,patch,update,watch'],
  ['namespaces', 'ns', 'v1', 'false', 'Namespace', 'create,delete,get,list,patch,update,watch'],
  ['nodes', 'no', 'v1', 'false', 'Node', 'create,delete,deletecollection,get,list,patch,update,watch'],
  ['pods', 'po', 'v1', 'true', 'Pod', 'create,delete,deletecollection,get,list,patch,update,watch'],
  ['bindings', '', 'v1', 'true', 'Binding', 'create'],
  ['services', 'svc', 'v1', 'true', 'Service', 'create,delete,deletecollection,get,list,patch,update,watch'],
  [
    'poddisruptionbudgets',
    'pdb',
    'policy/v1',
    'true',
    'PodDisruptionBudget',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  ['endpoints', 'ep', 'v1', 'true', 'Endpoints', 'create,delete,deletecollection,get,list,patch,update,watch'],
  ['limitranges', 'limits', 'v1', 'true', 'LimitRange', 'create,delete,deletecollection,get,list,patch,update,watch'],
  ['podtemplates', '', 'v1', 'true', 'PodTemplate', 'create,delete,deletecollection,get,list,patch,update,watch'],
  [
    'replicationcontrollers',
    'rc',
    'v1',
    'true',
    'ReplicationController',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'persistentvolumes',
    'pv',
    'v1',
    'false',
    'PersistentVolume',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'persistentvolumeclaims',
    'pvc',
    'v1',
    'true',
    'PersistentVolumeClaim',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'storageclasses',
    'sc',
    'storage.k8s.io/v1',
    'false',
    'StorageClass',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'volumeattachments',
    '',
    'storage.k8s.io/v1',
    'false',
    'VolumeAttachment',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'csinodes',
    '',
    'storage.k8s.io/v1',
    'false',
    'CSINode',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'csidrivers',
    '',
    'storage.k8s.io/v1',
    'false',
    'CSIDriver',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'resourcequotas',
    'quota',
    'v1',
    'true',
    'ResourceQuota',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'horizontalpodautoscalers',
    'hpa',
    'autoscaling/v2',
    'true',
    'HorizontalPodAutoscaler',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  ['cronjobs', 'cj', 'batch/v1', 'true', 'CronJob', 'create,delete,deletecollection,get,list,patch,update,watch'],
  ['jobs', '', 'batch/v1', 'true', 'Job', 'create,delete,deletecollection,get,list,patch,update,watch'],
  ['componentstatuses', 'cs', 'v1', 'false', 'ComponentStatus', 'get,list'],
  [
    'deployments',
    'deploy',
    'apps/v1',
    'true',
    'Deployment',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'statefulsets',
    'sts',
    'apps/v1',
    'true',
    'StatefulSet',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'controllerrevisions',
    '',
    'apps/v1',
    'true',
    'ControllerRevision',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'apiservices',
    'apiregistration.k8s.io/v1',
    'false',
    'APIService',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'certificatesigningrequests',
    'csr',
    'certificates.k8s.io/v1',
    'false',
    'CertificateSigningRequest',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'priorityclasses',
    'pc',
    'scheduling.k8s.io/v1',
    'false',
    'PriorityClass',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'runtimeclasses',
    '',
    'node.k8s.io/v1',
    'false',
    'RuntimeClass',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'networkpolicies',
    'netpol',
    'networking.k8s.io/v1',
    'true',
    'NetworkPolicy',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'ingresses',
    'ing',
    'networking.k8s.io/v1',
    'true',
    'Ingress',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'ingressclasses',
    '',
    'networking.k8s.io/v1',
    'false',
    'IngressClass',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  ['selfsubjectreviews', '', 'authentication.k8s.io/v1', 'false', 'SelfSubjectReview', 'create'],
  [
    'validatingwebhookconfigurations',
    '',
    'admissionregistration.k8s.io/v1',
    'false',
    'ValidatingWebhookConfiguration',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
  [
    'leases',
    '',
    'coordination.k8s.io/v1',
    'true',
    'Lease',
    'create,delete,deletecollection,get,list,patch,update,watch',
  ],
];

for (const minor of [27, 33]) {
  describe(`kubectl 1.${minor}`, () => {
    let f: Fixture;
    const bin = kubectlBinary(minor);
    before(async () => {
      f = await startFixture();
    });
    after(async () => {
      await f?.close();
    });

    it('version prints the server version', async () => {
      const r = await kubectl(f, ['version'], bin);
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /Server Version: (version\.Info\{.*GitVersion:")?v1\.33\.0-mkube/);
    });

    it('explain describes the CSR, review, RBAC and Lease fields', async () => {
      const cases: [string, RegExp[]][] = [
        [
          'csr',
          [/CertificateSigningRequest asks a signer/, /spec\t<Object>/, /The certificate request and the identity/],
        ],
        ['csr.spec.signerName', [/FIELD: *signerName <string>/, /kubernetes\.io\/kubelet-serving/]],
        ['csr.spec.usages', [/FIELD: *usages <\[\]string>/, /"client auth"/]],
        ['csr.spec.request', [/FIELD: *request <string>/, /PKCS#10/]],
        ['csr.spec.extra', [/FIELD: *extra <map\[string\]\[\]string>/, /The extra attributes/]],
        ['csr.status.conditions.type', [/FIELD: *type <string>/, /Approved, Denied or Failed/]],
        ['csr.status.certificate', [/FIELD: *certificate <string>/, /PEM CERTIFICATE blocks/]],
        ['subjectaccessreview.spec.resourceAttributes.verb', [/FIELD: *verb <string>/, /approve, sign/]],
        ['subjectaccessreview.status.denied', [/FIELD: *denied <boolean>/, /no authorizer had an/]],
        ['clusterrole.rules.nonResourceURLs', [/FIELD: *nonResourceURLs <\[\]string>/, /Only in ClusterRoles/]],
        ['rolebinding.roleRef', [/FIELD: *roleRef <Object>/, /Immutable/]],
        ['lease.spec.renewTime', [/FIELD: *renewTime <string>/, /every 10/]],
        ['secret.data', [/FIELD: *data <map\[string\]string>/]],
      ];
      for (const [path, want] of cases) {
        const r = await kubectl(f, ['explain', path], bin);
        assert.equal(r.status, 0, `${path}: ${r.err}`);
        for (const re of want) assert.match(r.out, re, path);
      }
    });

    it('api-resources lists resources with short names and verbs', async () => {
      const r = await kubectl(f, ['api-resources', '-o', 'wide'], bin);
      assert.equal(r.status, 0, r.err);
      const rows = r.out
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/));
      for (const want of EXPECTED_RESOURCES) {
        const cols = want.filter((c) => c !== '');
        const got = rows.find((row) => row[0] === want[0]);
        assert.deepEqual(got?.slice(0, cols.length), cols, `${want[0]}: ${r.out}`);
      }
      assert.equal(rows.length, 58);
    });

    it('get --raw /apis returns the group list', async () => {
      const r = await kubectl(f, ['get', '--raw', '/apis'], bin);
      assert.equal(r.status, 0, r.err);
      assert.equal(JSON.parse(r.out).kind, 'APIGroupList');
    });

    it('create -f validates without --validate=false; get prints the server Table', async () => {
      const file = join(f.dir, 'cm.yaml');
      writeFileSync(
        file,
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  namespace: default\ndata:\n  a: "1"\n  b: "2"\n',
      );
      const c = await kubectl(f, ['create', '-f', file, '-v=6'], bin);
      assert.equal(c.status, 0, c.err);
      assert.equal(c.out.trim(), 'configmap/demo created');
      // kubectl found server-side field validation in /openapi/v3, so it asks the server to be strict.
      assert.match(
        c.err,
        /POST.*\/api\/v1\/namespaces\/default\/configmaps\?fieldManager=kubectl-create&fieldValidation=Strict/,
      );
      const g = await kubectl(f, ['get', 'cm', '-n', 'default'], bin);
      assert.equal(g.status, 0, g.err);
      assert.match(g.out, /^NAME\s+DATA\s+AGE\ndemo\s+2\s+\d+s\n$/);
    });
  });
}
