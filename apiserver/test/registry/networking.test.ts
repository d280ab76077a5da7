// NetworkPolicies, Ingresses and IngressClasses through a real apiserver: upstream's defaults,
// validation messages and immutability rules, the Ingress /status subresource, generations,
// discovery, and kubectl's columns (the newest kubectl, 1.33 and 1.27).
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  adminCreate,
  adminRequest,
  expectInvalid,
  type Fixture,
  kubectl,
  kubectlBinary,
  startFixture,
} from '../server/fixture.ts';

const API = '/apis/networking.k8s.io/v1';
const NS = 'net';
const NETPOLS = `${API}/namespaces/${NS}/networkpolicies`;
const INGS = `${API}/namespaces/${NS}/ingresses`;
const CLASSES = `${API}/ingressclasses`;
const MERGE = { contentType: 'application/merge-patch+json' };
const SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const WILDCARD =
  "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const CIDR = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';
const PORT_RANGE = 'must be between 1 and 65535, inclusive';

// biome-ignore lint/suspicious/noExplicitAny: test bodies are built field by field
type Obj = any;

const netpol = (name: string, spec: Obj): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace: NS },
  spec,
});
const svc = (name = 'web', port: Obj = { number: 80 }): Obj => ({ service: { name, port } });
const httpRule = (host: string | undefined, paths: Obj[]): Obj => ({ ...(host ? { host } : {}), http: { paths } });
const prefix = (path = '/', backend: Obj = svc()): Obj => ({ path, pathType: 'Prefix', backend });
const ingress = (name: string, spec: Obj, metadata: Obj = {}): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: NS, ...metadata },
  spec,
});
const ingressClass = (name: string, spec: Obj): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name },
  spec,
});

describe('networking.k8s.io/v1', () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture();
    await adminCreate(fx, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  });
  after(async () => fx?.close());

  const post = (path: string, body: Obj) => adminRequest(fx, 'POST', path, body);
  const patch = (path: string, body: Obj) => adminRequest(fx, 'PATCH', path, body, MERGE);

  describe('NetworkPolicy', () => {
    it('defaults policyTypes to Ingress, adds Egress only with egress rules, and ports to TCP', async () => {
      const ingressOnly = await adminCreate(
        fx,
        NETPOLS,
        netpol('ingress-only', { ingress: [{ ports: [{ port: 80 }, { protocol: 'UDP', port: 53 }] }] }),
      );
      assert.deepEqual(ingressOnly.spec, {
        podSelector: {},
        ingress: [
          {
            ports: [
              { protocol: 'TCP', port: 80 },
              { protocol: 'UDP', port: 53 },
            ],
          },
        ],
        policyTypes: ['Ingress'],
      });
      assert.equal(ingressOnly.metadata.generation, 1);
      const both = await adminCreate(
        fx,
        NETPOLS,
        netpol('with-egress', {
          podSelector: { matchLabels: { app: 'web' } },
          egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ port: 443 }] }],
        }),
      );
      assert.deepEqual(both.spec.policyTypes, ['Ingress', 'Egress']);
      assert.equal(both.spec.egress[0].ports[0].protocol, 'TCP');
      const egressOnly = await adminCreate(
        fx,
        NETPOLS,
        netpol('egress-only', { podSelector: {}, egress: [{}], policyTypes: ['Egress'] }),
      );
      assert.deepEqual(egressOnly.spec.policyTypes, ['Egress'], 'given policyTypes are kept');
    });

    it('refuses bad ports, peers, ipBlocks and policyTypes with upstream messages', async () => {
      await expectInvalid(
        post(
          NETPOLS,
          netpol('bad', {
            podSelector: {},
            ingress: [
              {
                ports: [
                  { protocol: 'ICMP', port: 0 },
                  { port: 'http', endPort: 90 },
                  { port: 100, endPort: 99 },
                  { endPort: 5 },
                ],
                from: [
                  {},
                  {
                    podSelector: {},
                    ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24', '10.0.0.0/8', 'bogus'] },
                  },
                ],
              },
            ],
            egress: [{ to: [{ ipBlock: { cidr: 'nope' } }] }],
            policyTypes: ['Ingress', 'Sideways'],
          }),
        ),
        'NetworkPolicy.networking.k8s.io "bad" is invalid: [' +
          [
            'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
            `spec.ingress[0].ports[0].port: Invalid value: 0: ${PORT_RANGE}`,
            'spec.ingress[0].ports[1].endPort: Invalid value: 90: may not be specified when `port` is non-numeric',
            'spec.ingress[0].ports[2].endPort: Invalid value: 99: must be greater than or equal to `port`',
            'spec.ingress[0].ports[3].endPort: Invalid value: 5: may not be specified when `port` is not specified',
            'spec.ingress[0].from[0]: Required value: must specify a peer',
            'spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`',
            'spec.ingress[0].from[1].ipBlock.except[1]: Invalid value: "10.0.0.0/8": must be a strict subset of `cidr`',
            `spec.ingress[0].from[1].ipBlock.except[2]: Invalid value: "bogus": ${CIDR}`,
            'spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer',
            `spec.egress[0].to[0].ipBlock.cidr: Invalid value: "nope": ${CIDR}`,
            'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
          ].join(', ') +
          ']',
      );
      await expectInvalid(
        post(NETPOLS, netpol('three-types', { podSelector: {}, policyTypes: ['Ingress', 'Egress', 'Ingress'] })),
        'NetworkPolicy.networking.k8s.io "three-types" is invalid: spec.policyTypes: Invalid value: &[]networking.PolicyType{"Ingress", "Egress", "Ingress"}: may not specify more than two policyTypes',
      );
      await expectInvalid(
        post(NETPOLS, netpol('no-cidr', { ingress: [{ from: [{ ipBlock: { cidr: '' } }] }] })),
        'NetworkPolicy.networking.k8s.io "no-cidr" is invalid: spec.ingress[0].from[0].ipBlock.cidr: Required value',
      );
    });

    it('accepts a named port, a port range and selectors together', async () => {
      const r = await post(
        NETPOLS,
        netpol('fine', {
          podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] },
          ingress: [
            {
              ports: [{ port: 'postgres' }, { port: 32000, endPort: 32768, protocol: 'SCTP' }],
              from: [{ podSelector: { matchLabels: { app: 'api' } }, namespaceSelector: {} }],
            },
          ],
        }),
      );
      assert.equal(r.code, 201, JSON.stringify(r.json));
    });

    it('bumps the generation on a spec change only', async () => {
      const path = `${NETPOLS}/gen`;
      await adminCreate(fx, NETPOLS, netpol('gen', { podSelector: {} }));
      const same = await patch(path, { metadata: { labels: { a: 'b' } } });
      assert.equal(same.json.metadata.generation, 1);
      const changed = await patch(path, { spec: { podSelector: { matchLabels: { app: 'x' } } } });
      assert.equal(changed.code, 200, JSON.stringify(changed.json));
      assert.equal(changed.json.metadata.generation, 2);
    });
  });

  describe('Ingress', () => {
    it('starts with an empty load balancer status, whatever the request says, at generation 1', async () => {
      const body = ingress('plain', { rules: [httpRule('foo.example.com', [prefix()])] });
      body.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
      const got = await adminCreate(fx, INGS, body);
      assert.deepEqual(got.status, { loadBalancer: {} });
      assert.equal(got.metadata.generation, 1);
      assert.equal(got.spec.ingressClassName, undefined, 'no default class exists');
      assert.equal(got.spec.rules[0].http.paths[0].pathType, 'Prefix');
    });

    it('needs a default backend or rules', async () => {
      await expectInvalid(
        post(INGS, ingress('empty', {})),
        'Ingress.networking.k8s.io "empty" is invalid: spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified',
      );
    });

    it('refuses bad backends, hosts, paths, TLS and class names with upstream messages', async () => {
      await expectInvalid(
        post(
          INGS,
          ingress('bad', {
            ingressClassName: 'Bad_Class',
            defaultBackend: { ...svc(), resource: { kind: 'Bucket', name: 'b' } },
            rules: [
              httpRule('*.foo.example.com', [
                prefix('relative'),
                { path: '/a', backend: svc() },
                { path: '/a', pathType: 'Regex', backend: svc() },
                { path: '/a//b/..', pathType: 'Exact', backend: svc('Web', {}) },
                { path: '/x', pathType: 'ImplementationSpecific', backend: {} },
                prefix('/p', svc('web', { name: 'http', number: 80 })),
                prefix('/q', svc('web', { number: 70000 })),
                prefix('/r', { resource: { apiGroup: 'k8s.example.com', kind: '', name: 'a/b' } }),
              ]),
              { host: 'foo.*.example.com' },
              { host: '10.0.0.1', http: { paths: [] } },
            ],
            tls: [{ hosts: ['*.example.com', 'Bad.example.com'], secretName: 'bad_secret' }],
          }),
        ),
        'Ingress.networking.k8s.io "bad" is invalid: [' +
          [
            'spec.defaultBackend: Invalid value: "": cannot set both resource and service backends',
            'spec.rules[0].http.paths[0].path: Invalid value: "relative": must be an absolute path',
            'spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified',
            'spec.rules[0].http.paths[2].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
            `spec.rules[0].http.paths[3].path: Invalid value: "/a//b/..": must not contain '//'`,
            `spec.rules[0].http.paths[3].path: Invalid value: "/a//b/..": cannot end with '/..'`,
            `spec.rules[0].http.paths[3].backend.service.name: Invalid value: "Web": ${DNS1035}`,
            'spec.rules[0].http.paths[3].backend: Required value: port name or number is required',
            'spec.rules[0].http.paths[4].backend: Invalid value: "": resource or service backend is required',
            'spec.rules[0].http.paths[5].backend: Invalid value: "": cannot set both port name & port number',
            `spec.rules[0].http.paths[6].backend.service.port.number: Invalid value: 70000: ${PORT_RANGE}`,
            'spec.rules[0].http.paths[7].backend.resource.kind: Required value',
            `spec.rules[0].http.paths[7].backend.resource.name: Invalid value: "a/b": may not contain '/'`,
            `spec.rules[1].host: Invalid value: "foo.*.example.com": ${WILDCARD}`,
            'spec.rules[2].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
            'spec.rules[2].http.paths: Required value',
            `spec.tls[0].hosts[1]: Invalid value: "Bad.example.com": ${SUBDOMAIN}`,
            `spec.tls[0].secretName: Invalid value: "bad_secret": ${SUBDOMAIN}`,
            `spec.ingressClassName: Invalid value: "Bad_Class": ${SUBDOMAIN}`,
          ].join(', ') +
          ']',
      );
    });

    it('refuses a class annotation that disagrees with ingressClassName', async () => {
      await expectInvalid(
        post(
          INGS,
          ingress(
            'mismatch',
            { ingressClassName: 'other', defaultBackend: svc() },
            { annotations: { 'kubernetes.io/ingress.class': 'nginx' } },
          ),
        ),
        'Ingress.networking.k8s.io "mismatch" is invalid: annotations.kubernetes.io/ingress.class: Invalid value: "nginx": must match `ingressClassName` when both are specified',
      );
      const agree = await post(
        INGS,
        ingress(
          'agree',
          { ingressClassName: 'nginx', defaultBackend: svc() },
          { annotations: { 'kubernetes.io/ingress.class': 'nginx' } },
        ),
      );
      assert.equal(agree.code, 201, JSON.stringify(agree.json));
    });

    it('writes status only through /status and the spec only through the main resource', async () => {
      const path = `${INGS}/lb`;
      await adminCreate(fx, INGS, ingress('lb', { defaultBackend: svc() }));
      const main = await patch(path, {
        spec: { defaultBackend: svc('web', { number: 8080 }) },
        status: { loadBalancer: { ingress: [{ ip: '10.0.0.9' }] } },
      });
      assert.equal(main.code, 200, JSON.stringify(main.json));
      assert.deepEqual(main.json.status, { loadBalancer: {} }, 'the main resource keeps the stored status');
      assert.equal(main.json.metadata.generation, 2);
      const st = await patch(`${path}/status`, {
        spec: { defaultBackend: svc('ignored', { number: 1 }) },
        status: { loadBalancer: { ingress: [{ ip: '10.0.0.9', ports: [{ port: 443, protocol: 'TCP' }] }] } },
      });
      assert.equal(st.code, 200, JSON.stringify(st.json));
      assert.deepEqual(st.json.status.loadBalancer.ingress, [
        { ip: '10.0.0.9', ports: [{ port: 443, protocol: 'TCP' }] },
      ]);
      assert.equal(st.json.spec.defaultBackend.service.name, 'web', '/status keeps the stored spec');
      assert.equal(st.json.metadata.generation, 2, 'a status write leaves the generation');
      await expectInvalid(
        patch(`${path}/status`, {
          status: { loadBalancer: { ingress: [{ ip: 'not-an-ip' }, { hostname: '1.2.3.4' }] } },
        }),
        'Ingress.networking.k8s.io "lb" is invalid: [status.loadBalancer.ingress[0].ip: Invalid value: "not-an-ip": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff), status.loadBalancer.ingress[1].hostname: Invalid value: "1.2.3.4": must be a DNS name, not an IP address]',
      );
    });
  });

  describe('IngressClass', () => {
    it('defaults a parameters scope to Cluster and starts at generation 1', async () => {
      const got = await adminCreate(
        fx,
        CLASSES,
        ingressClass('scoped', {
          controller: 'example.com/ingress-controller',
          parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'lb' },
        }),
      );
      assert.deepEqual(got.spec.parameters, {
        apiGroup: 'k8s.example.com',
        kind: 'IngressParameters',
        name: 'lb',
        scope: 'Cluster',
      });
      assert.equal(got.metadata.generation, 1);
    });

    it('needs a domain-prefixed controller and a consistent parameters reference', async () => {
      await expectInvalid(
        post(CLASSES, ingressClass('no-controller', {})),
        'IngressClass.networking.k8s.io "no-controller" is invalid: spec.controller: Required value',
      );
      await expectInvalid(
        post(CLASSES, ingressClass('bare', { controller: 'nginx' })),
        'IngressClass.networking.k8s.io "bare" is invalid: spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
      );
      await expectInvalid(
        post(CLASSES, ingressClass('upper', { controller: 'Example.com/x' })),
        `IngressClass.networking.k8s.io "upper" is invalid: spec.controller: Invalid value: "Example.com": ${SUBDOMAIN}`,
      );
      await expectInvalid(
        post(
          CLASSES,
          ingressClass('params', {
            controller: 'example.com/c',
            parameters: { kind: '', name: 'a/b', scope: 'Namespace' },
          }),
        ),
        'IngressClass.networking.k8s.io "params" is invalid: [spec.parameters.kind: Required value, spec.parameters.name: Invalid value: "a/b": may not contain \'/\', spec.parameters.namespace: Required value: `parameters.scope` is set to \'Namespace\']',
      );
      await expectInvalid(
        post(
          CLASSES,
          ingressClass('cluster-ns', {
            controller: 'example.com/c',
            parameters: { kind: 'P', name: 'p', scope: 'Cluster', namespace: 'x' },
          }),
        ),
        'IngressClass.networking.k8s.io "cluster-ns" is invalid: spec.parameters.namespace: Forbidden: `parameters.scope` is set to \'Cluster\'',
      );
      await expectInvalid(
        post(
          CLASSES,
          ingressClass('global', {
            controller: 'example.com/c',
            parameters: { kind: 'P', name: 'p', scope: 'Global' },
          }),
        ),
        'IngressClass.networking.k8s.io "global" is invalid: spec.parameters.scope: Unsupported value: "Global": supported values: "Cluster", "Namespace"',
      );
      const namespaced = await post(
        CLASSES,
        ingressClass('namespaced', {
          controller: 'example.com/c',
          parameters: { kind: 'P', name: 'p', scope: 'Namespace', namespace: NS },
        }),
      );
      assert.equal(namespaced.code, 201, JSON.stringify(namespaced.json));
    });

    it('keeps the controller and lets the parameters change, bumping the generation', async () => {
      const path = `${CLASSES}/fixed`;
      await adminCreate(fx, CLASSES, ingressClass('fixed', { controller: 'example.com/ingress' }));
      await expectInvalid(
        patch(path, { spec: { controller: 'example.com/other' } }),
        'IngressClass.networking.k8s.io "fixed" is invalid: spec.controller: Invalid value: "example.com/other": field is immutable',
      );
      const r = await patch(path, { spec: { parameters: { kind: 'P', name: 'p' } } });
      assert.equal(r.code, 200, JSON.stringify(r.json));
      assert.equal(r.json.metadata.generation, 2);
      assert.equal(r.json.spec.parameters.scope, 'Cluster');
    });
  });

  describe('discovery and kubectl', () => {
    before(async () => {
      await adminCreate(fx, NETPOLS, netpol('print-np', { podSelector: { matchLabels: { app: 'web' } } }));
      await adminCreate(
        fx,
        INGS,
        ingress('print-ing', {
          ingressClassName: 'nginx',
          rules: ['a', 'b', 'c', 'd'].map((h) => httpRule(`${h}.example.com`, [prefix()])),
          tls: [{ hosts: ['a.example.com'], secretName: 'tls' }],
        }),
      );
      const st = await patch(`${INGS}/print-ing/status`, {
        status: { loadBalancer: { ingress: [{ hostname: 'lb.example.com' }, { ip: '10.0.0.2' }] } },
      });
      assert.equal(st.code, 200, JSON.stringify(st.json));
      await adminCreate(fx, INGS, ingress('print-default', { defaultBackend: svc() }));
      await adminCreate(
        fx,
        CLASSES,
        ingressClass('print-ic', {
          controller: 'example.com/ingress-controller',
          parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' },
        }),
      );
      await adminCreate(fx, CLASSES, ingressClass('print-plain', { controller: 'example.com/plain' }));
    });

    it('lists the three resources, their short names and the Ingress /status', async () => {
      const r = await kubectl(fx, ['api-resources', '--api-group=networking.k8s.io', '--no-headers']);
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /^ingressclasses\s+networking\.k8s\.io\/v1\s+false\s+IngressClass$/m);
      assert.match(r.out, /^ingresses\s+ing\s+networking\.k8s\.io\/v1\s+true\s+Ingress$/m);
      assert.match(r.out, /^networkpolicies\s+netpol\s+networking\.k8s\.io\/v1\s+true\s+NetworkPolicy$/m);
      const names = (await adminRequest(fx, 'GET', API)).json.resources.map((x: Obj) => x.name);
      assert.ok(names.includes('ingresses/status'));
      assert.ok(!names.includes('networkpolicies/status') && !names.includes('ingressclasses/status'));
    });

    it('applies twice (the second a patch of what changed) and explains', async () => {
      const file = join(fx.dir, 'networking.json');
      const doc = {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          netpol('applied-np', { podSelector: {} }),
          ingress('applied-ing', { rules: [httpRule('applied.example.com', [prefix()])] }),
          ingressClass('applied-ic', { controller: 'example.com/applied' }),
        ],
      };
      writeFileSync(file, JSON.stringify(doc));
      let r = await kubectl(fx, ['apply', '-f', file]);
      assert.equal(r.status, 0, r.err);
      doc.items[0].spec.egress = [{ to: [{ namespaceSelector: {} }] }];
      doc.items[1].spec.rules[0].http.paths.push(prefix('/api', svc('api')));
      doc.items[2].spec.parameters = { kind: 'P', name: 'p' };
      writeFileSync(file, JSON.stringify(doc));
      r = await kubectl(fx, ['apply', '-f', file]);
      assert.equal(r.status, 0, r.err);
      assert.match(r.out, /networkpolicy\.networking\.k8s\.io\/applied-np configured/);
      assert.match(r.out, /ingress\.networking\.k8s\.io\/applied-ing configured/);
      assert.match(r.out, /ingressclass\.networking\.k8s\.io\/applied-ic configured/);
      const np = (await adminRequest(fx, 'GET', `${NETPOLS}/applied-np`)).json;
      assert.equal(np.metadata.generation, 2);
      const ing = (await adminRequest(fx, 'GET', `${INGS}/applied-ing`)).json;
      assert.equal(ing.spec.rules[0].http.paths.length, 2);
      assert.equal(ing.metadata.generation, 2);
      for (const what of ['networkpolicy', 'ingress.spec', 'ingressclass']) {
        r = await kubectl(fx, ['explain', what]);
        assert.equal(r.status, 0, `${what}: ${r.err}`);
      }
    });

    for (const bin of ['kubectl', 'kubectl.1.33', 'kubectl.1.27']) {
      it(`${bin} prints upstream's columns`, async (t) => {
        const path = bin === 'kubectl' ? bin : kubectlBinary(Number(bin.split('.')[2]));
        if (bin !== 'kubectl' && !existsSync(path)) return t.skip(`${bin} is not installed here`);
        const nps = await kubectl(fx, ['get', 'netpol', '-n', NS], path);
        assert.equal(nps.status, 0, nps.err);
        assert.match(nps.out, /^NAME\s+POD-SELECTOR\s+AGE\n/);
        assert.match(nps.out, /\nprint-np\s+app=web\s+\d+s\n/);
        assert.match(nps.out, /\ningress-only\s+<none>\s+\d+s\n/);
        const ings = await kubectl(fx, ['get', 'ing', '-n', NS], path);
        assert.equal(ings.status, 0, ings.err);
        assert.match(ings.out, /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\n/);
        assert.match(
          ings.out,
          /\nprint-ing\s+nginx\s+a\.example\.com,b\.example\.com,c\.example\.com \+ 1 more\.\.\.\s+10\.0\.0\.2,lb\.example\.com\s+80, 443\s+\d+s\n/,
        );
        assert.match(ings.out, /\nprint-default\s+<none>\s+\*\s+80\s+\d+s\n/);
        const classes = await kubectl(fx, ['get', 'ingressclasses'], path);
        assert.equal(classes.status, 0, classes.err);
        assert.match(classes.out, /^NAME\s+CONTROLLER\s+PARAMETERS\s+AGE\n/);
        assert.match(
          classes.out,
          /\nprint-ic\s+example\.com\/ingress-controller\s+IngressParameters\.k8s\.example\.com\/external-lb\s+\d+s\n/,
        );
        assert.match(classes.out, /\nprint-plain\s+example\.com\/plain\s+<none>\s+\d+s\n/);
      });
    }
  });
});
