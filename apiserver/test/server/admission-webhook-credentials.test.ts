// Who the apiserver is to its admission webhooks: the kubeConfigFile of each plugin's
// WebhookAdmissionConfiguration (--admission-control-config-file), its users picked by the webhook's
// host[:port] in upstream's order, against a real HTTPS webhook that records the client certificate
// and the Authorization header it was sent.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseKubeconfig } from '@mkube/shared/kubeconfig';
import { urlHostPort, WebhookAuthenticationResolver, webhookUserFor } from '../../src/admission/webhook/credentials.ts';
import { startWebhookServer, type WebhookServer } from '../auth/webhook-fixture.ts';
import { answer, api, applyYaml, configMap, configuration, type Env, reviews } from './admission-webhook-fixture.ts';
import { configError, type Fixture, loadConfig, makePki, startFixture, tempDir } from './fixture.ts';

const kubeconfig = (users: string[], current?: string) =>
  parseKubeconfig(
    [
      'apiVersion: v1',
      'kind: Config',
      'users:',
      ...users.map((u) => `- name: ${JSON.stringify(u)}\n  user: {token: t}`),
      ...(current
        ? [
            'clusters: [{name: c, cluster: {server: "https://x"}}]',
            `contexts: [{name: ctx, context: {cluster: c, user: ${JSON.stringify(current)}}}]`,
            'current-context: ctx',
          ]
        : []),
      '',
    ].join('\n'),
  );

describe('the webhook user lookup (upstream defaultAuthenticationInfoResolver)', () => {
  it('exact host:port first, then *.-prefixed suffixes, then without :443, then *, then the current context', () => {
    const all = ['hook.ns.svc:443', '*.ns.svc:443', '*.svc:443', 'hook.ns.svc', '*.svc', '*', 'me'];
    const pick = (users: string[], target: string, current?: string) =>
      webhookUserFor(kubeconfig(users, current), target);
    assert.equal(pick(all, 'hook.ns.svc:443'), 'hook.ns.svc:443');
    assert.equal(pick(all.slice(1), 'hook.ns.svc:443'), '*.ns.svc:443');
    assert.equal(pick(all.slice(2), 'hook.ns.svc:443'), '*.svc:443');
    assert.equal(pick(all.slice(3), 'hook.ns.svc:443'), 'hook.ns.svc');
    assert.equal(pick(all.slice(4), 'hook.ns.svc:443'), '*.svc');
    assert.equal(pick(all.slice(5), 'hook.ns.svc:443'), '*');
    assert.equal(pick(['me', 'other'], 'hook.ns.svc:443', 'me'), 'me');
    assert.equal(pick(['other'], 'hook.ns.svc:443'), undefined);
    // Only :443 is tried without its port.
    assert.equal(pick(['hook.ns.svc'], 'hook.ns.svc:8443'), undefined);
    assert.equal(pick(['*.example.com'], 'a.b.example.com'), '*.example.com');
    assert.equal(pick(['127.0.0.1:9443'], '127.0.0.1:9443'), '127.0.0.1:9443');
  });

  it('credentials: data, files relative to the kubeconfig, basic auth; a missing file or token with basic auth fails', async () => {
    const d = tempDir('webhook-resolver');
    try {
      writeFileSync(join(d, 'tok'), ' file-token \n');
      const cfg = parseKubeconfig(
        [
          'apiVersion: v1',
          'kind: Config',
          'users:',
          '- {name: "a:443", user: {tokenFile: tok}}',
          '- {name: b, user: {username: u, password: p}}',
          '- {name: c, user: {tokenFile: nope}}',
          '- {name: d, user: {token: t, username: u}}',
          '',
        ].join('\n'),
        join(d, 'kubeconfig'),
      );
      const r = new WebhookAuthenticationResolver(cfg);
      assert.deepEqual(await r.credentialsFor('a:443'), { token: 'file-token' });
      assert.deepEqual(await r.credentialsFor('b'), { username: 'u', password: 'p' });
      await assert.rejects(r.credentialsFor('c'), /user "c": tokenFile: cannot read .*nope: ENOENT/);
      await assert.rejects(r.credentialsFor('d'), /username\/password or bearer token may be set, but not both/);
      assert.deepEqual(await r.credentialsFor('elsewhere'), {});
      assert.deepEqual(await new WebhookAuthenticationResolver(undefined).credentialsFor('a:443'), {});
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it("a URL's host:port is Go's url.Host: the port only when written, :443 kept, no user info", () => {
    assert.equal(urlHostPort('https://hook.example.com/validate'), 'hook.example.com');
    assert.equal(urlHostPort('https://hook.example.com:443/validate'), 'hook.example.com:443');
    assert.equal(urlHostPort('https://127.0.0.1:9443'), '127.0.0.1:9443');
    assert.equal(urlHostPort('https://[::1]:9443/x?y'), '[::1]:9443');
  });
});

describe('--admission-control-config-file: the webhook plugins authenticate to their webhooks', () => {
  let wh: WebhookServer;
  let f: Fixture;
  let env: Env;
  const dir = tempDir('webhook-credentials');
  before(async () => {
    wh = await startWebhookServer(join(dir, 'webhook'), (review) => ({ json: answer(review) }));
    const host = new URL(wh.url).host;
    // Validating: the webhook's own client certificate, under the exact host:port.
    writeFileSync(
      join(dir, 'validating.kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        'users:',
        `- name: "${host}"`,
        `  user: {client-certificate: ${wh.pki.adminCrt}, client-key: ${wh.pki.adminKey}}`,
        '- name: "*"',
        '  user: {token: not-this-one}',
        '',
      ].join('\n'),
    );
    // Mutating: a bearer token from a file (relative to the kubeconfig), under `*`.
    writeFileSync(join(dir, 'mutating.token'), 'mutating-secret-token\n');
    // And, for the same server reached as localhost, a token file that does not exist.
    writeFileSync(
      join(dir, 'mutating.kubeconfig'),
      [
        'apiVersion: v1',
        'kind: Config',
        'users:',
        '- name: "*"',
        '  user: {tokenFile: mutating.token}',
        `- name: "localhost:${new URL(wh.url).port}"`,
        '  user: {tokenFile: missing.token}',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'admission.yaml'),
      [
        'apiVersion: apiserver.config.k8s.io/v1',
        'kind: AdmissionConfiguration',
        'plugins:',
        '- name: ValidatingAdmissionWebhook',
        '  configuration:',
        '    apiVersion: apiserver.config.k8s.io/v1',
        '    kind: WebhookAdmissionConfiguration',
        `    kubeConfigFile: ${join(dir, 'validating.kubeconfig')}`,
        '- name: MutatingAdmissionWebhook',
        '  path: mutating-webhook.yaml',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'mutating-webhook.yaml'),
      [
        'apiVersion: apiserver.config.k8s.io/v1alpha1',
        'kind: WebhookAdmission',
        `kubeConfigFile: ${join(dir, 'mutating.kubeconfig')}`,
        '',
      ].join('\n'),
    );
    f = await startFixture([`--admission-control-config-file=${join(dir, 'admission.yaml')}`]);
    env = { f, wh, caBundle: readFileSync(wh.pki.caCrt).toString('base64'), close: async () => {} };
    const applied = await applyYaml(env, 'hooks.yaml', [
      configuration(env, 'Validating', 'creds-v', [{ name: 'v.creds.example.com', path: '/validate' }]),
      configuration(env, 'Mutating', 'creds-m', [{ name: 'm.creds.example.com', path: '/mutate' }]),
    ]);
    assert.equal(applied.status, 0, applied.err);
    await new Promise((r) => setTimeout(r, 200));
  });
  after(async () => {
    await f?.close();
    await wh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the validating webhook gets the client certificate, the mutating one the bearer token', async () => {
    const r = await api(env, 'POST', '/api/v1/namespaces/default/configmaps', configMap('creds-1'));
    assert.equal(r.code, 201, r.raw);
    const v = wh.requests.filter((q) => q.path.startsWith('/validate'));
    const m = wh.requests.filter((q) => q.path.startsWith('/mutate'));
    assert.equal(reviews(wh, '/validate').length, 1);
    assert.equal(v[0]?.clientCN, 'webhook-client');
    assert.equal(v[0]?.headers.authorization, undefined);
    assert.equal(m.length, 1);
    assert.equal(m[0]?.clientCN, undefined);
    assert.equal(m[0]?.headers.authorization, 'Bearer mutating-secret-token');
  });

  it('a credential file that cannot be read fails the call under the failure policy, naming the file', async () => {
    const url = wh.url.replace('127.0.0.1', 'localhost');
    const applied = await applyYaml(env, 'broken.yaml', [
      configuration(env, 'Mutating', 'creds-broken', [
        {
          name: 'broken.creds.example.com',
          url: `${url}/broken`,
          resources: ['secrets'],
          extra: { failurePolicy: 'Fail' },
        },
      ]),
    ]);
    assert.equal(applied.status, 0, applied.err);
    await new Promise((r) => setTimeout(r, 200));
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds-s' }, stringData: { a: 'b' } };
    const r = await api(env, 'POST', '/api/v1/namespaces/default/secrets', secret);
    assert.equal(r.code, 500, r.raw);
    assert.match(
      r.body.message,
      /^Internal error occurred: failed calling webhook "broken\.creds\.example\.com": could not get REST client: kubeconfig .*mutating\.kubeconfig user "localhost:\d+": tokenFile: cannot read .*missing\.token: ENOENT$/,
    );
    assert.equal(wh.requests.filter((q) => q.path.startsWith('/broken')).length, 0, 'nothing was sent');
  });

  it('the token never reaches the apiserver log', () => {
    assert.ok(!f.logs.join('').includes('mutating-secret-token'));
  });
});

describe('a bad WebhookAdmissionConfiguration stops the apiserver from starting', () => {
  const dir = tempDir('webhook-credentials-config');
  after(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(dir);
  const admission = join(dir, 'admission.yaml');
  const load = (plugin: string) => {
    writeFileSync(
      admission,
      ['apiVersion: apiserver.config.k8s.io/v1', 'kind: AdmissionConfiguration', 'plugins:', plugin, ''].join('\n'),
    );
    return configError(() => loadConfig(pki, join(dir, 'data'), [`--admission-control-config-file=${admission}`]));
  };

  it('a relative kubeConfigFile, a wrong kind, an unreadable or invalid kubeconfig: each named with the file', () => {
    const at = `--admission-control-config-file ${JSON.stringify(admission)}`;
    assert.equal(
      load(
        '- name: ValidatingAdmissionWebhook\n  configuration: {apiVersion: apiserver.config.k8s.io/v1, kind: WebhookAdmissionConfiguration, kubeConfigFile: webhooks.kubeconfig}',
      ),
      `${at}: plugins[0] (ValidatingAdmissionWebhook): kubeConfigFile: Invalid value: "webhooks.kubeconfig": must be an absolute file path`,
    );
    assert.match(
      load(
        '- name: MutatingAdmissionWebhook\n  configuration: {apiVersion: apiserver.config.k8s.io/v1, kind: WebhookAdmission, kubeConfigFile: /x}',
      ),
      /plugins\[0\] \(MutatingAdmissionWebhook\): expected kind WebhookAdmissionConfiguration in apiserver\.config\.k8s\.io\/v1 or kind WebhookAdmission in apiserver\.config\.k8s\.io\/v1alpha1/,
    );
    const missing = join(dir, 'missing.kubeconfig');
    assert.match(
      load(
        `- name: MutatingAdmissionWebhook\n  configuration: {apiVersion: apiserver.config.k8s.io/v1, kind: WebhookAdmissionConfiguration, kubeConfigFile: ${missing}}`,
      ),
      new RegExp(missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')),
    );
    const broken = join(dir, 'broken.kubeconfig');
    writeFileSync(broken, 'apiVersion: v1\nkind: Config\nusers:\n- user: {token: x}\n');
    assert.match(
      load(
        `- name: ValidatingAdmissionWebhook\n  configuration: {apiVersion: apiserver.config.k8s.io/v1, kind: WebhookAdmissionConfiguration, kubeConfigFile: ${broken}}`,
      ),
      /plugins\[0\] \(ValidatingAdmissionWebhook\): kubeConfigFile: kubeconfig .*broken\.kubeconfig: users\[0\]/,
    );
    const exec = join(dir, 'exec.kubeconfig');
    writeFileSync(
      exec,
      'apiVersion: v1\nkind: Config\nusers:\n- name: "*"\n  user: {exec: {command: get-token, apiVersion: client.authentication.k8s.io/v1, interactiveMode: Never}}\n',
    );
    assert.match(
      load(
        `- name: ValidatingAdmissionWebhook\n  configuration: {apiVersion: apiserver.config.k8s.io/v1, kind: WebhookAdmissionConfiguration, kubeConfigFile: ${exec}}`,
      ),
      /exec\.kubeconfig: users\[0\]\.user\.exec: not supported by mkube's webhook client/,
    );
  });
});
