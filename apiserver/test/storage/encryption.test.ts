// Encryption at rest, below the server: each provider's cipher and stored format, reads by prefix
// (rotation, identity, removed keys), the EncryptionConfiguration file's rules and validation
// errors, and the transforming Store over a real SQLite store (the whole Store contract, plus
// what is on disk). Keys are random per run; no message may quote one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type EncryptionConfig, loadEncryptionConfig, parseEncryptionConfig } from '../../src/config/encryption.ts';
import { ConfigError, type ConfigProblem } from '../../src/config/errors.ts';
import { openSqliteStore, type Store, StoreConflictError, type StoreWatchEvent } from '../../src/storage/index.ts';
import { aesCbcTransformer, aesGcmTransformer } from '../../src/storage/value/aes.ts';
import { identityTransformer } from '../../src/storage/value/identity.ts';
import { prefixTransformers } from '../../src/storage/value/prefix.ts';
import { secretboxTransformer } from '../../src/storage/value/secretbox.ts';
import { AsyncReadNeeded, TransformError, type Transformer } from '../../src/storage/value/transformer.ts';
import { isStaleInStorage, transformingStore } from '../../src/storage/value/transforming-store.ts';
import { describeStoreConformance } from './conformance.ts';
import { b, waitFor } from './helpers.ts';

const key = (n = 32) => randomBytes(n).toString('base64');
const SECRET_KEY = '/registry/secrets/default/db';
const plaintext = () =>
  Buffer.from(JSON.stringify({ kind: 'Secret', data: { password: randomBytes(12).toString('hex') } }));

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mkube-enc-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
function writeConfig(text: string): string {
  const file = join(dir, `enc-${++fileNo}.yaml`);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

type P = { kind: 'aescbc' | 'aesgcm' | 'secretbox'; keys: [string, string][] } | { kind: 'identity' };
function yamlConfig(resources: string[], providers: P[]): string {
  const lines = [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    `  - resources: [${resources.map((r) => JSON.stringify(r)).join(', ')}]`,
    '    providers:',
  ];
  for (const p of providers) {
    if (p.kind === 'identity') lines.push('      - identity: {}');
    else {
      lines.push(`      - ${p.kind}:`, '          keys:');
      for (const [name, secret] of p.keys) lines.push(`            - name: ${name}`, `              secret: ${secret}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function load(resources: string[], providers: P[]): EncryptionConfig {
  return loadEncryptionConfig(writeConfig(yamlConfig(resources, providers)));
}

function secretsT(providers: P[]): Transformer {
  const t = load(['secrets'], providers).transformerForKey(SECRET_KEY);
  assert.ok(t);
  return t;
}

/** The ConfigError's problems, and its message, for a config text. */
function problemsOf(text: string): { message: string; file: string; problems: ConfigError['problems'] } {
  const file = writeConfig(text);
  try {
    loadEncryptionConfig(file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return { message: e.message, file, problems: e.problems };
  }
  assert.fail('expected a ConfigError');
}

describe('ciphers', () => {
  for (const [name, make, sizes] of [
    ['aescbc', aesCbcTransformer, [16, 24, 32]],
    ['aesgcm', aesGcmTransformer, [16, 24, 32]],
    ['secretbox', secretboxTransformer, [32]],
  ] as const) {
    it(`${name}: round trip for every key size; random IV/nonce; ciphertext hides the plaintext`, () => {
      for (const n of sizes) {
        const t = make(randomBytes(n));
        const p = plaintext();
        const c1 = t.toStorage(p, SECRET_KEY);
        const c2 = t.toStorage(p, SECRET_KEY);
        assert.notDeepEqual(c1, c2, 'two encryptions of one value differ');
        assert.equal(c1.indexOf(p.subarray(10, 30)), -1);
        assert.deepEqual(t.fromStorage(c1, SECRET_KEY), { value: p, stale: false });
        assert.deepEqual(t.fromStorage(c2, SECRET_KEY).value, p);
        // Empty and block-aligned plaintexts too.
        for (const q of [Buffer.alloc(0), Buffer.alloc(16, 7), Buffer.alloc(33, 1)]) {
          assert.deepEqual(t.fromStorage(t.toStorage(q, SECRET_KEY), SECRET_KEY).value, q);
        }
      }
    });

    it(`${name}: a wrong key never yields the plaintext; truncated or tampered data fails`, () => {
      const p = plaintext();
      const c = make(randomBytes(32)).toStorage(p, SECRET_KEY);
      for (let i = 0; i < 20; i++) {
        // AES-CBC has no integrity check: a wrong key fails the padding check almost always, and
        // otherwise decrypts to garbage (as upstream); never to the plaintext.
        try {
          assert.notDeepEqual(make(randomBytes(32)).fromStorage(c, SECRET_KEY).value, p);
          assert.equal(name, 'aescbc', 'only aescbc may decrypt with a wrong key (to garbage)');
        } catch (e) {
          if (!(e instanceof TransformError)) throw e;
        }
      }
      const t = make(randomBytes(32));
      const good = t.toStorage(p, SECRET_KEY);
      assert.throws(() => t.fromStorage(good.subarray(0, 5), SECRET_KEY), TransformError);
      if (name !== 'aescbc') {
        const bad = Buffer.from(good);
        bad[bad.length - 3]! ^= 1;
        assert.throws(() => t.fromStorage(bad, SECRET_KEY), /message authentication failed/);
      }
    });
  }

  it('aesgcm binds the value to its storage key (additional authenticated data); aescbc does not', () => {
    const gcm = aesGcmTransformer(randomBytes(32));
    const c = gcm.toStorage(b('{"a":1}'), '/registry/secrets/ns/a');
    assert.equal(gcm.fromStorage(c, '/registry/secrets/ns/a').value.toString(), '{"a":1}');
    assert.throws(() => gcm.fromStorage(c, '/registry/secrets/ns/b'), /message authentication failed/);
    const cbc = aesCbcTransformer(randomBytes(32));
    const d = cbc.toStorage(b('{"a":1}'), '/registry/secrets/ns/a');
    assert.equal(cbc.fromStorage(d, '/registry/secrets/ns/b').value.toString(), '{"a":1}');
  });

  it('aescbc stores IV ‖ PKCS#7-padded blocks: 16 + 16·ceil((n+1)/16) bytes', () => {
    const t = aesCbcTransformer(randomBytes(16));
    for (const n of [0, 1, 15, 16, 17, 31, 32])
      assert.equal(t.toStorage(Buffer.alloc(n), 'k').length, 16 + 16 * Math.ceil((n + 1) / 16));
    const g = aesGcmTransformer(randomBytes(16));
    assert.equal(g.toStorage(Buffer.alloc(10), 'k').length, 12 + 10 + 16);
    const s = secretboxTransformer(randomBytes(32));
    assert.equal(s.toStorage(Buffer.alloc(10), 'k').length, 24 + 16 + 10);
  });
});

describe('providers, prefixes and rotation', () => {
  it('writes k8s:enc:<provider>:v1:<key>: with the first provider and key', () => {
    for (const kind of ['aescbc', 'aesgcm', 'secretbox'] as const) {
      const t = secretsT([
        {
          kind,
          keys: [
            ['key1', key()],
            ['key2', key()],
          ],
        },
        { kind: 'identity' },
      ]);
      const p = plaintext();
      const stored = t.toStorage(p, SECRET_KEY);
      assert.ok(
        stored.toString('latin1').startsWith(`k8s:enc:${kind}:v1:key1:`),
        stored.subarray(0, 30).toString('latin1'),
      );
      assert.deepEqual(t.fromStorage(stored, SECRET_KEY), { value: p, stale: false });
    }
  });

  it('rotation: key2 added second, then first, then key1 removed', () => {
    const k1 = key();
    const k2 = key();
    const p = plaintext();
    const v1 = secretsT([{ kind: 'aescbc', keys: [['key1', k1]] }]).toStorage(p, SECRET_KEY);
    // Step 1: key2 added second: key1 still writes, both read.
    const step1 = secretsT([
      {
        kind: 'aescbc',
        keys: [
          ['key1', k1],
          ['key2', k2],
        ],
      },
    ]);
    assert.deepEqual(step1.fromStorage(v1, SECRET_KEY), { value: p, stale: false });
    assert.match(step1.toStorage(p, SECRET_KEY).toString('latin1'), /^k8s:enc:aescbc:v1:key1:/);
    // Step 2: key2 first: old data reads (and is stale: a rewrite must store it again), writes use key2.
    const step2 = secretsT([
      {
        kind: 'aescbc',
        keys: [
          ['key2', k2],
          ['key1', k1],
        ],
      },
    ]);
    assert.deepEqual(step2.fromStorage(v1, SECRET_KEY), { value: p, stale: true });
    const v2 = step2.toStorage(p, SECRET_KEY);
    assert.match(v2.toString('latin1'), /^k8s:enc:aescbc:v1:key2:/);
    // Step 3: key1 removed: rewritten data reads, data never rewritten fails clearly.
    const step3 = secretsT([{ kind: 'aescbc', keys: [['key2', k2]] }]);
    assert.deepEqual(step3.fromStorage(v2, SECRET_KEY), { value: p, stale: false });
    assert.throws(
      () => step3.fromStorage(v1, SECRET_KEY),
      (e: Error) =>
        e instanceof TransformError && e.message === 'no matching key was found for the provided AES transformer',
    );
  });

  it('a key with the same name but another secret fails (secretbox, aesgcm: always)', () => {
    for (const kind of ['aesgcm', 'secretbox'] as const) {
      const v = secretsT([{ kind, keys: [['key1', key()]] }]).toStorage(plaintext(), SECRET_KEY);
      assert.throws(
        () => secretsT([{ kind, keys: [['key1', key()]] }]).fromStorage(v, SECRET_KEY),
        /message authentication failed/,
      );
    }
  });

  it('a provider no longer listed: "no matching prefix found"; the same provider listed twice with different keys reads both', () => {
    const k1 = key();
    const v = secretsT([{ kind: 'aescbc', keys: [['key1', k1]] }]).toStorage(b('{"x":1}'), SECRET_KEY);
    assert.throws(() => secretsT([{ kind: 'secretbox', keys: [['key1', key()]] }]).fromStorage(v, SECRET_KEY), {
      message: 'no matching prefix found',
    });
    const moved = secretsT([
      { kind: 'secretbox', keys: [['sb', key()]] },
      { kind: 'aescbc', keys: [['key2', key()]] },
      { kind: 'aescbc', keys: [['key1', k1]] },
    ]);
    assert.deepEqual(moved.fromStorage(v, SECRET_KEY), { value: b('{"x":1}'), stale: true });
    assert.match(moved.toStorage(b('{}'), SECRET_KEY).toString('latin1'), /^k8s:enc:secretbox:v1:sb:/);
  });

  it('identity: reads unprefixed data only where listed; first, it writes plaintext and still reads encrypted data', () => {
    const k1 = key();
    const plain = b('{"kind":"Secret"}');
    // Encryption turned on over existing plaintext: identity listed last reads it (stale).
    assert.deepEqual(
      secretsT([{ kind: 'aesgcm', keys: [['key1', k1]] }, { kind: 'identity' }]).fromStorage(plain, SECRET_KEY),
      {
        value: plain,
        stale: true,
      },
    );
    // Without identity there is no fallback for plaintext (as upstream).
    assert.throws(() => secretsT([{ kind: 'aesgcm', keys: [['key1', k1]] }]).fromStorage(plain, SECRET_KEY), {
      message: 'no matching prefix found',
    });
    // Decrypting away: identity first writes plaintext, reads the encrypted data through aesgcm.
    const enc = secretsT([{ kind: 'aesgcm', keys: [['key1', k1]] }]).toStorage(plain, SECRET_KEY);
    const away = secretsT([{ kind: 'identity' }, { kind: 'aesgcm', keys: [['key1', k1]] }]);
    assert.deepEqual(away.toStorage(plain, SECRET_KEY), plain);
    assert.deepEqual(away.fromStorage(enc, SECRET_KEY), { value: plain, stale: true });
    assert.deepEqual(away.fromStorage(plain, SECRET_KEY), { value: plain, stale: false });
    // Identity alone refuses encrypted data.
    assert.throws(() => secretsT([{ kind: 'identity' }]).fromStorage(enc, SECRET_KEY), {
      message: 'no matching prefix found',
    });
    assert.throws(
      () => identityTransformer.fromStorage(enc, SECRET_KEY),
      /identity transformer tried to read encrypted data/,
    );
  });
});

describe('resources: which keys a rule covers', () => {
  const K = {
    secret: '/registry/secrets/ns/a',
    configmap: '/registry/configmaps/ns/a',
    namespace: '/registry/namespaces/a',
    lease: '/registry/coordination.k8s.io/leases/ns/a',
    role: '/registry/rbac.authorization.k8s.io/roles/ns/a',
    clusterrole: '/registry/rbac.authorization.k8s.io/clusterroles/a',
    deployment: '/registry/apps/deployments/ns/a',
    widget: '/registry/example.com/widgets/ns/a',
  };
  /** Which of K are encrypted under `resources`. */
  function encrypted(resources: string[]): string[] {
    const c = load(resources, [{ kind: 'aesgcm', keys: [['k', key()]] }]);
    return Object.entries(K)
      .filter(([, k]) => c.transformerForKey(k)?.toStorage(b('{}'), k).toString('latin1').startsWith('k8s:enc:'))
      .map(([n]) => n);
  }

  it('exact names, group wildcards, core wildcard and everything', () => {
    assert.deepEqual(encrypted(['secrets']), ['secret']);
    assert.deepEqual(encrypted(['secrets', 'configmaps']), ['secret', 'configmap']);
    assert.deepEqual(encrypted(['leases.coordination.k8s.io']), ['lease']);
    assert.deepEqual(encrypted(['clusterroles.rbac.authorization.k8s.io']), ['clusterrole']);
    assert.deepEqual(encrypted(['*.rbac.authorization.k8s.io']), ['role', 'clusterrole']);
    assert.deepEqual(encrypted(['deployments.apps']), ['deployment']);
    assert.deepEqual(encrypted(['*.']), ['secret', 'configmap', 'namespace']);
    assert.deepEqual(encrypted(['widgets.example.com']), ['widget']);
    assert.deepEqual(encrypted(['*.*']), Object.keys(K));
    assert.deepEqual(encrypted(['secrets.apps']), [], 'secrets.apps is a group resource, not core secrets');
  });

  it('exact rules win over *.<group>, which wins over *.*; keys outside /registry/ are untouched', () => {
    const k = key();
    const c = loadEncryptionConfig(
      writeConfig(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers: [{secretbox: {keys: [{name: sb, secret: ${k}}]}}]
  - resources: ['*.']
    providers: [{aescbc: {keys: [{name: cbc, secret: ${k}}]}}]
  - resources: ['*.*']
    providers: [{aesgcm: {keys: [{name: gcm, secret: ${k}}]}}]
`),
    );
    const prefix = (k2: string) => c.transformerForKey(k2)?.toStorage(b('{}'), k2).toString('latin1').slice(0, 24);
    assert.equal(prefix(K.secret), 'k8s:enc:secretbox:v1:sb:');
    assert.match(prefix(K.configmap) ?? '', /^k8s:enc:aescbc:v1:cbc:/);
    assert.match(prefix(K.lease) ?? '', /^k8s:enc:aesgcm:v1:gcm:/);
    assert.equal(c.transformerForKey('/other/thing'), undefined);
    assert.deepEqual(c.resources, ['secrets', '*.', '*.*']);
  });

  it('a resource no rule names is written as is, and refuses encrypted data', () => {
    const c = load(['secrets'], [{ kind: 'aescbc', keys: [['k', key()]] }]);
    const t = c.transformerForKey(K.configmap);
    assert.ok(t);
    assert.deepEqual(t.toStorage(b('{"a":1}'), K.configmap), b('{"a":1}'));
    assert.deepEqual(t.fromStorage(b('{"a":1}'), K.configmap).value, b('{"a":1}'));
    assert.throws(() => t.fromStorage(b('k8s:enc:aescbc:v1:k:xxxx'), K.configmap), /tried to read encrypted data/);
  });
});

describe('EncryptionConfiguration file: formats and validation errors', () => {
  it('accepts JSON, and the legacy apiVersion v1 / kind EncryptionConfig', () => {
    const k = key(16);
    const json = loadEncryptionConfig(
      writeConfig(
        JSON.stringify({
          apiVersion: 'apiserver.config.k8s.io/v1',
          kind: 'EncryptionConfiguration',
          resources: [
            { resources: ['secrets'], providers: [{ aesgcm: { keys: [{ name: 'j', secret: k }] } }, { identity: {} }] },
          ],
        }),
      ),
    );
    assert.match(
      json.transformerForKey(SECRET_KEY)!.toStorage(b('{}'), SECRET_KEY).toString('latin1'),
      /^k8s:enc:aesgcm:v1:j:/,
    );
    const legacy = loadEncryptionConfig(
      writeConfig(
        `kind: EncryptionConfig\napiVersion: v1\nresources:\n  - resources: [secrets]\n    providers:\n      - secretbox:\n          keys: [{name: s, secret: ${key()}}]\n`,
      ),
    );
    assert.deepEqual(legacy.resources, ['secrets']);
  });

  it('bad base64 and bad key lengths name the file and the field, never the secret', () => {
    const short = randomBytes(7).toString('base64');
    const notB64 = `${key().slice(0, 20)}!!`;
    const text = `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - identity: {}
      - aescbc:
          keys:
            - name: key1
              secret: ${short}
            - name: key2
              secret: ${notB64}
      - secretbox:
          keys:
            - name: sb
              secret: ${key(16)}
            - secret: ${key()}
`;
    const { message, file, problems } = problemsOf(text);
    assert.ok(
      problems.every((p) => p.flag === 'encryption-provider-config' && p.file === file && p.code === 'BAD_VALUE'),
    );
    const lines = message.split('\n');
    const q = JSON.stringify(file);
    assert.deepEqual(lines, [
      `--encryption-provider-config ${q}: resources[0].providers[1].aescbc.keys[0].secret: must be 16, 24 or 32 bytes of base64, got 7`,
      `--encryption-provider-config ${q}: resources[0].providers[1].aescbc.keys[1].secret: must be base64 encoded (standard alphabet, with padding)`,
      `--encryption-provider-config ${q}: resources[0].providers[2].secretbox.keys[0].secret: must be 32 bytes of base64, got 16`,
      `--encryption-provider-config ${q}: resources[0].providers[2].secretbox.keys[1].name: name is a mandatory field for a key`,
    ]);
    assert.ok(!message.includes(short) && !message.includes(notB64));
  });

  it('unknown provider, kms, no providers, no resources, several providers in one element, unknown fields', () => {
    const k = key();
    const { message, problems } = problemsOf(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aesgsm: {keys: [{name: a, secret: ${k}}]}
      - kms: {name: vault, endpoint: unix:///tmp/kms.sock}
      - {identity: {}, aescbc: {keys: [{name: a, secret: ${k}}]}}
      - aescbc: {keys: [], cachesize: 3}
      - {}
  - resources: [configmaps]
    providers: []
  - providers: [{identity: {}}]
    colour: blue
`);
    const m = (re: RegExp) => assert.match(message, re);
    m(/resources\[0\]\.providers\[0\]: unknown field "aesgsm"/);
    // No apiVersion is v1, which upstream has turned off since 1.29 and mkube never had.
    m(/resources\[0\]\.providers\[1\]\.kms\.apiVersion: KMSv1 is deprecated/);
    assert.ok(problems.some((p) => p.code === 'NOT_SUPPORTED' && p.message.includes('.kms.apiVersion:')));
    m(/resources\[0\]\.providers\[2\]: more than one provider specified in a single element/);
    m(/resources\[0\]\.providers\[3\]\.aescbc: unknown field "cachesize"/);
    m(/resources\[0\]\.providers\[3\]\.aescbc\.keys: at least one keys is required/);
    m(/resources\[0\]\.providers\[4\]: provider does not contain any of the expected providers/);
    m(/resources\[1\]\.providers: at least one resources\[1\]\.providers is required/);
    m(/resources\[2\]: unknown field "colour"/);
    m(/resources\[2\]\.resources: at least one resources\[2\]\.resources is required/);
    assert.ok(!message.includes(k));
  });

  it('resource names: overlaps, duplicates, *, capitals, removed groups; unquoted wildcards', () => {
    const { message } = problemsOf(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: ['*.apps', 'Secrets', '*', 'foo.extensions', 'events.events.k8s.io', 'pods.*', 'serviceipallocations']
    providers: [{identity: {}}]
  - resources: ['deployments.apps', 'secrets', 'secrets']
    providers: [{identity: {}}]
  - resources: ['configmaps', '*.']
    providers: [{identity: {}}]
  - resources: [*.apps]
    providers: [{identity: {}}]
`);
    const m = (re: RegExp) => assert.match(message, re);
    m(/resources\[0\]\.resources\[1\]: "Secrets": resource name should not contain capital letters/);
    m(/resources\[0\]\.resources\[2\]: "\*": use '\*\.' to encrypt all the resources from core API group/);
    m(/resources\[0\]\.resources\[3\]: "foo\.extensions": 'extensions' group has been removed/);
    m(/resources\[0\]\.resources\[4\]: "events\.events\.k8s\.io": '\*\.events\.k8s\.io' objects are stored/);
    m(/resources\[0\]\.resources\[5\]: "pods\.\*": encrypting the same resource across groups is not supported/);
    m(
      /resources\[0\]\.resources\[6\]: "serviceipallocations": resources which do not have REST API\/s cannot be encrypted/,
    );
    m(/resources\[1\]\.resources: the same resource cannot be specified multiple times/);
    m(/resources\[2\]\.resources: using overlapping resources such as 'secrets' and '\*\.' in the same resource list/);
    m(/resources\[3\]\.resources\[0\]: must be a string, got a YAML alias \(quote names that start with '\*'/);
  });

  it('a rule masked by an earlier *.<group> or *.* is an error; a name repeated in two rules chains them', () => {
    const { message, problems } = problemsOf(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: ['*.apps']
    providers: [{identity: {}}]
  - resources: ['deployments.apps', 'secrets']
    providers: [{identity: {}}]
  - resources: ['*.*']
    providers: [{identity: {}}]
  - resources: ['configmaps']
    providers: [{identity: {}}]
`);
    assert.equal(problems.length, 2, message);
    assert.match(
      message,
      /resources\[1\]\.resources\[0\]: resource "deployments\.apps" is masked by earlier rule "\*\.apps"/,
    );
    assert.match(message, /resources\[3\]\.resources\[0\]: resource "configmaps" is masked by earlier rule "\*\.\*"/);
    const k1 = key();
    const k2 = key();
    const chained = loadEncryptionConfig(
      writeConfig(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers: [{aesgcm: {keys: [{name: new, secret: ${k2}}]}}]
  - resources: [secrets]
    providers: [{aesgcm: {keys: [{name: old, secret: ${k1}}]}}]
`),
    );
    const old = load(['secrets'], [{ kind: 'aesgcm', keys: [['old', k1]] }]).transformerForKey(SECRET_KEY)!;
    const t = chained.transformerForKey(SECRET_KEY)!;
    assert.deepEqual(t.fromStorage(old.toStorage(b('{}'), SECRET_KEY), SECRET_KEY), { value: b('{}'), stale: true });
    assert.match(t.toStorage(b('{}'), SECRET_KEY).toString('latin1'), /^k8s:enc:aesgcm:v1:new:/);
  });

  it('missing file, empty file, broken YAML (without quoting its lines), wrong kind, a list', () => {
    const missing = join(dir, 'nope.yaml');
    assert.throws(
      () => loadEncryptionConfig(missing),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message === `--encryption-provider-config ${JSON.stringify(missing)}: cannot read file: no such file`,
    );
    assert.match(problemsOf('  \n').message, /: encryption provider configuration file is empty$/);
    const k = key();
    const broken = problemsOf(
      `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets\n    providers: [{aescbc: {keys: [{name: a, secret: ${k}}]}}]\n`,
    );
    assert.match(broken.message, /: not valid YAML or JSON: [A-Z_]+ at line \d+, column \d+$/);
    assert.ok(!broken.message.includes(k), 'the YAML error must not quote the secret');
    const dup = problemsOf('kind: a\nkind: b\n');
    assert.match(dup.message, /DUPLICATE_KEY at line 2/);
    assert.match(
      problemsOf('apiVersion: v1\nkind: Config\nresources: [{resources: [secrets], providers: [{identity: {}}]}]\n')
        .message,
      /apiVersion\/kind: got "v1"\/"Config", want apiserver\.config\.k8s\.io\/v1 EncryptionConfiguration/,
    );
    assert.match(problemsOf('- a\n- b\n').message, /: must be a mapping, got a list$/);
    assert.match(
      problemsOf('apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n').message,
      /: resources: at least one resources is required$/,
    );
  });

  it('parseEncryptionConfig collects problems with the other flags instead of throwing', () => {
    const problems: ConfigProblem[] = [];
    assert.equal(parseEncryptionConfig('kind: x\n', '/etc/enc.yaml', problems), undefined);
    assert.ok(problems.length > 0 && problems.every((p) => p.file === '/etc/enc.yaml'));
  });
});

/** aesgcm with a fresh key for every key: the transformer the store tests wrap with. */
function gcmEverywhere(): Transformer {
  return prefixTransformers('no matching prefix found', [
    {
      prefix: b('k8s:enc:aesgcm:v1:'),
      transformer: prefixTransformers('no matching key', [
        { prefix: b('k1:'), transformer: aesGcmTransformer(randomBytes(32)) },
      ]),
    },
  ]);
}

// The whole Store contract through the transforming store: every value the contract checks has
// been encrypted on the way in and decrypted on the way out.
describeStoreConformance('sqlite, every value encrypted', async () => {
  const d = mkdtempSync(join(tmpdir(), 'mkube-enc-store-'));
  const t = gcmEverywhere();
  const opts = { window: 64 };
  return {
    store: transformingStore(await openSqliteStore(d, opts), () => t),
    reopen: async () => transformingStore(await openSqliteStore(d, opts), () => t),
    cleanup: async () => rmSync(d, { recursive: true, force: true }),
  };
});

describe('transformingStore over SQLite', () => {
  async function open(): Promise<{ inner: Store; store: Store; close(): Promise<void> }> {
    const d = mkdtempSync(join(tmpdir(), 'mkube-enc-store-'));
    const inner = await openSqliteStore(d);
    const t = gcmEverywhere();
    const store = transformingStore(inner, (k) => (k.startsWith('/registry/secrets/') ? t : undefined));
    return {
      inner,
      store,
      close: async () => {
        await store.close();
        rmSync(d, { recursive: true, force: true });
      },
    };
  }

  it('stores ciphertext, returns plaintext on every path: get, list, create/update results, delete prevKv, conflicts, watch', async () => {
    const s = await open();
    try {
      const events: StoreWatchEvent[] = [];
      const w = s.store.watch('/registry/', {
        sinceRevision: await s.store.currentRevision(),
        onEvent: (e) => void events.push(e),
        onError: assert.fail,
      });
      const created = await s.store.create('/registry/secrets/ns/a', b('{"v":"one"}'));
      assert.equal(created.value.toString(), '{"v":"one"}');
      await s.store.create('/registry/configmaps/ns/a', b('{"v":"cm"}'));
      const raw = (await s.inner.get('/registry/secrets/ns/a')).kv!;
      assert.match(raw.value.toString('latin1'), /^k8s:enc:aesgcm:v1:k1:/);
      assert.ok(!raw.value.includes('one'));
      assert.equal((await s.inner.get('/registry/configmaps/ns/a')).kv?.value.toString(), '{"v":"cm"}');
      assert.equal((await s.store.get('/registry/secrets/ns/a')).kv?.value.toString(), '{"v":"one"}');
      const updated = await s.store.update('/registry/secrets/ns/a', b('{"v":"two"}'), {
        expectedModRevision: created.modRevision,
      });
      assert.equal(updated.value.toString(), '{"v":"two"}');
      assert.deepEqual(
        (await s.store.list('/registry/')).kvs.map((kv) => kv.value.toString()),
        ['{"v":"cm"}', '{"v":"two"}'],
      );
      assert.equal(
        (await s.store.list('/registry/', { revision: created.modRevision })).kvs[0]?.value.toString(),
        '{"v":"one"}',
      );
      await assert.rejects(
        s.store.update('/registry/secrets/ns/a', b('{}'), { expectedModRevision: created.modRevision }),
        (e) => e instanceof StoreConflictError && e.current.value.toString() === '{"v":"two"}',
      );
      await assert.rejects(
        s.store.delete('/registry/secrets/ns/a', { expectedModRevision: created.modRevision }),
        (e) => e instanceof StoreConflictError && e.current.value.toString() === '{"v":"two"}',
      );
      const del = await s.store.delete('/registry/secrets/ns/a');
      assert.equal(del.prevKv.value.toString(), '{"v":"two"}');
      await waitFor('4 events', () => events.length >= 4);
      w.stop();
      const seen = events.map((e) =>
        e.type === 'progress'
          ? 'progress'
          : `${e.type} ${e.kv.key} ${e.kv.value.toString()} prev=${e.prevKv?.value.toString() ?? '-'}`,
      );
      assert.deepEqual(seen, [
        'put /registry/secrets/ns/a {"v":"one"} prev=-',
        'put /registry/configmaps/ns/a {"v":"cm"} prev=-',
        'put /registry/secrets/ns/a {"v":"two"} prev={"v":"one"}',
        'delete /registry/secrets/ns/a  prev={"v":"two"}',
      ]);
    } finally {
      await s.close();
    }
  });

  it('values that need an asynchronous step first (a KMS Decrypt) read on every path; a watch keeps its order', async () => {
    const d = mkdtempSync(join(tmpdir(), 'mkube-enc-store-'));
    const inner = await openSqliteStore(d);
    try {
      const cipher = gcmEverywhere();
      const writer = transformingStore(inner, () => cipher);
      // The reader knows no value until it has "asked the plugin" (30 ms) for it, once per value.
      const known = new Set<string>();
      let asked = 0;
      const reader = transformingStore(inner, () => ({
        toStorage: (v, k) => cipher.toStorage(v, k),
        fromStorage: (v, k) => {
          const id = v.toString('base64');
          if (!known.has(id))
            throw new AsyncReadNeeded(async () => {
              asked++;
              await new Promise((r) => setTimeout(r, 30));
              known.add(id);
            });
          return cipher.fromStorage(v, k);
        },
      }));
      const since = await inner.currentRevision();
      for (const n of ['a', 'b', 'c']) await writer.create(`/registry/secrets/ns/${n}`, b(`{"n":"${n}"}`));
      const events: string[] = [];
      const w = reader.watch('/registry/secrets/', {
        sinceRevision: since,
        onEvent: (e) => void (e.type === 'put' && events.push(e.kv.value.toString())),
        onError: assert.fail,
      });
      await waitFor('3 events', () => events.length === 3);
      w.stop();
      assert.deepEqual(events, ['{"n":"a"}', '{"n":"b"}', '{"n":"c"}'], 'in revision order');
      assert.equal(asked, 3);
      known.clear();
      assert.deepEqual(
        (await reader.list('/registry/secrets/')).kvs.map((kv) => kv.value.toString()),
        ['{"n":"a"}', '{"n":"b"}', '{"n":"c"}'],
      );
      known.clear();
      assert.equal((await reader.get('/registry/secrets/ns/b')).kv?.value.toString(), '{"n":"b"}');
      known.clear();
      await assert.rejects(
        reader.update('/registry/secrets/ns/b', b('{}'), { expectedModRevision: 1 }),
        (e) => e instanceof StoreConflictError && e.current.value.toString() === '{"n":"b"}',
      );
      known.clear();
      assert.equal((await reader.delete('/registry/secrets/ns/c')).prevKv.value.toString(), '{"n":"c"}');
      // A step that fails is a read failure with its reason.
      const failing = transformingStore(inner, () => ({
        toStorage: (v, k) => cipher.toStorage(v, k),
        fromStorage: () => {
          throw new AsyncReadNeeded(() => Promise.reject(new Error('failed to decrypt DEK, error: plugin down')));
        },
      }));
      await assert.rejects(
        failing.get('/registry/secrets/ns/a'),
        /cannot read \/registry\/secrets\/ns\/a from storage: failed to decrypt DEK, error: plugin down/,
      );
    } finally {
      await inner.close();
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('a value it cannot read fails get and list, and ends a watch with the error', async () => {
    const s = await open();
    try {
      // Written around the transformer: ciphertext of an unknown key under the encrypted prefix.
      await s.inner.create('/registry/secrets/ns/bad', b('k8s:enc:aesgcm:v1:gone:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'));
      await assert.rejects(
        s.store.get('/registry/secrets/ns/bad'),
        /cannot read \/registry\/secrets\/ns\/bad from storage: no matching key/,
      );
      await assert.rejects(s.store.list('/registry/secrets/'), TransformError);
      const errors: Error[] = [];
      const w = s.store.watch('/registry/secrets/', {
        sinceRevision: 0,
        onEvent: () => undefined,
        onError: (e) => void errors.push(e),
      });
      await waitFor('the watch to end', () => errors.length > 0);
      w.stop();
      assert.match(errors[0]!.message, /no matching key/);
    } finally {
      await s.close();
    }
  });

  it('marks values read with an older provider or key as stale (the rewrite step of a rotation)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'mkube-enc-store-'));
    try {
      const k1 = key();
      const k2 = key();
      const cfg = (keys: [string, string][]) => load(['secrets'], [{ kind: 'aescbc', keys }]);
      const c1 = cfg([['key1', k1]]);
      const before = transformingStore(await openSqliteStore(d), (k) => c1.transformerForKey(k));
      const old = await before.create('/registry/secrets/ns/a', b('{"a":1}'));
      assert.equal(isStaleInStorage(old), false);
      await before.close();
      const c2 = cfg([
        ['key2', k2],
        ['key1', k1],
      ]);
      const rotated = transformingStore(await openSqliteStore(d), (k) => c2.transformerForKey(k));
      const read = (await rotated.get('/registry/secrets/ns/a')).kv!;
      assert.equal(read.value.toString(), '{"a":1}');
      assert.equal(isStaleInStorage(read), true);
      const rewritten = await rotated.update('/registry/secrets/ns/a', read.value, {
        expectedModRevision: read.modRevision,
      });
      assert.equal(isStaleInStorage(rewritten), false);
      assert.equal(isStaleInStorage((await rotated.get('/registry/secrets/ns/a')).kv!), false);
      await rotated.close();
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
