// --encryption-provider-config: the EncryptionConfiguration file (kube-apiserver's encryption at
// rest), read, validated and turned into the transformer each storage key is written and read with.
//
//   apiVersion: apiserver.config.k8s.io/v1     (or the legacy `apiVersion: v1, kind: EncryptionConfig`)
//   kind: EncryptionConfiguration
//   resources:
//     - resources: [secrets]                   (`secrets`, `deployments.apps`, `*.apps`, `*.` core, `*.*` all)
//       providers:                             (writes use the first; reads try each, by prefix)
//         - aescbc: {keys: [{name: key1, secret: <base64 of 16, 24 or 32 bytes>}]}
//         - aesgcm: {keys: [...]}              (same sizes)
//         - secretbox: {keys: [...]}           (32 bytes)
//         - kms: {apiVersion: v2, name: vault, endpoint: unix:///run/kms.sock, timeout: 3s}
//         - identity: {}
//
// As upstream (apiserver/pkg/server/options/encryptionconfig, apis/apiserver/validation):
// - A stored value is `k8s:enc:<provider>:v1:<key name>:<ciphertext>`. Writes use the first
//   provider's first key; a read strips the provider's and then the key's prefix. A value without
//   `k8s:enc:` is read only by an `identity` provider listed for the resource: there is no implicit
//   fallback, so turning encryption on over existing plaintext needs `identity: {}` listed (last).
//   A value whose provider is not listed fails with "no matching prefix found"; one whose key is no
//   longer listed with "no matching key was found for the provided AES transformer" (or Secretbox).
// - A resource no rule names is read and written as is, but a value of it that carries the
//   `k8s:enc:` prefix is refused (encrypted data must not be decoded as an object).
// - Rules match `<resource>.<group>` exactly, then `*.<group>` (`*.` for the core group), then `*.*`.
//   A rule after a wildcard that masks it is an error, as are overlapping or repeated names in one
//   list, `*`, `<resource>.*`, capital letters, the `extensions` and `events.k8s.io` groups.
// - `kms` providers of `apiVersion: v2` (a plugin on a unix socket; ../storage/value/kms) store
//   `k8s:enc:kms:v2:<name>:<EncryptedObject>`. v1 (the default apiVersion, off by default
//   upstream since 1.29) is refused, as is a name repeated anywhere in the file.
// - Unknown fields are errors (upstream decodes strictly).
// Every problem names the file and the field path; no message quotes a secret.
import { parseDuration } from '@mkube/shared/flags';
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml';
import { RESOURCES } from '../registry/catalog.js';
import { resourcePrefix } from '../registry/keys.js';
import { AES_KEY_SIZES, aesCbcTransformer, aesGcmTransformer } from '../storage/value/aes.js';
import { identityTransformer } from '../storage/value/identity.js';
import { KMS_V2_PREFIX, KmsV2Provider } from '../storage/value/kms/provider.js';
import { type PrefixTransformer, prefixTransformers } from '../storage/value/prefix.js';
import { SECRETBOX_KEY_SIZE, secretboxTransformer } from '../storage/value/secretbox.js';
import type { Transformer } from '../storage/value/transformer.js';
import { ConfigError, type ConfigErrorCode, type ConfigProblem, readFlagFile } from './errors.js';

export const ENCRYPTION_FLAG = 'encryption-provider-config';

export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

export interface EncryptionConfig {
  readonly file: string;
  /** The configured names, in file order (for a start-up log line). */
  readonly resources: readonly string[];
  /** The rule for a group/resource; identity (refusing encrypted data) when no rule names it. */
  transformerFor(gr: GroupResource): Transformer;
  /** The transformer for a storage key `/registry/…`; undefined for keys outside /registry/. */
  transformerForKey(key: string): Transformer | undefined;
  /** The KMS v2 providers, in file order: the server starts, checks and stops them. */
  readonly kmsProviders: readonly KmsV2Provider[];
}

type Provider = 'aescbc' | 'aesgcm' | 'secretbox' | 'identity' | 'kms';
const PROVIDERS: readonly Provider[] = ['kms', 'aesgcm', 'aescbc', 'secretbox', 'identity'];

const PREFIX: Record<'aescbc' | 'aesgcm' | 'secretbox', string> = {
  aescbc: 'k8s:enc:aescbc:v1:',
  aesgcm: 'k8s:enc:aesgcm:v1:',
  secretbox: 'k8s:enc:secretbox:v1:',
};

const NO_KEY: Record<'aescbc' | 'aesgcm' | 'secretbox', string> = {
  aescbc: 'no matching key was found for the provided AES transformer',
  aesgcm: 'no matching key was found for the provided AES transformer',
  secretbox: 'no matching key was found for the provided Secretbox transformer',
};

const CIPHER: Record<'aescbc' | 'aesgcm' | 'secretbox', (secret: Buffer) => Transformer> = {
  aescbc: aesCbcTransformer,
  aesgcm: aesGcmTransformer,
  secretbox: secretboxTransformer,
};

const KEY_SIZES: Record<'aescbc' | 'aesgcm' | 'secretbox', readonly number[]> = {
  aescbc: AES_KEY_SIZES,
  aesgcm: AES_KEY_SIZES,
  secretbox: [SECRETBOX_KEY_SIZE],
};

/** Resources kube-apiserver has no REST API for, which it refuses to encrypt. */
const NON_REST = new Set(['apiserveripinfo', 'serviceipallocations', 'servicenodeportallocations']);

/** schema.ParseGroupResource: `secrets` → core, `deployments.apps`, `*.apps`, `*.` → core `*`, `*.*`. */
export function parseGroupResource(name: string): GroupResource {
  const dot = name.indexOf('.');
  return dot < 0 ? { group: '', resource: name } : { group: name.slice(dot + 1), resource: name.slice(0, dot) };
}

function grString(gr: GroupResource): string {
  if (gr.group === '' && gr.resource === '*') return '*.';
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

const grKey = (gr: GroupResource) => `${gr.group}/${gr.resource}`;

/** Go's base64.StdEncoding: standard alphabet, padded; CR and LF ignored. */
function decodeStdBase64(s: string): Buffer | undefined {
  const t = s.replace(/[\r\n]/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(t)) return undefined;
  return Buffer.from(t, 'base64');
}

function sizes(list: readonly number[]): string {
  return list.length === 1 ? String(list[0]) : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}

class Checker {
  readonly problems: ConfigProblem[] = [];
  /** KMS providers by name, across the whole file, with the settings they were first given. */
  readonly kms = new Map<string, { provider: KmsV2Provider; settings: string }>();
  constructor(readonly file: string) {}
  bad(path: string, message: string, code: ConfigErrorCode = 'BAD_VALUE'): void {
    this.problems.push({
      code,
      flag: ENCRYPTION_FLAG,
      file: this.file,
      message: path ? `${path}: ${message}` : message,
    });
  }
  /** A mapping's entries as a plain record (values still YAML nodes); unknown keys are reported. */
  map(node: unknown, path: string, known: readonly string[]): Map<string, unknown> | undefined {
    if (!isMap(node)) {
      this.bad(path, `must be a mapping, got ${describe(node)}`);
      return undefined;
    }
    const out = new Map<string, unknown>();
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!known.includes(k)) {
        // A field name is echoed only when it looks like one (a misplaced secret must not be).
        this.bad(path, /^[A-Za-z][\w-]{0,39}$/.test(k) ? `unknown field ${JSON.stringify(k)}` : 'unknown field');
        continue;
      }
      out.set(k, pair.value);
    }
    return out;
  }
  seq(node: unknown, path: string, what: string): unknown[] | undefined {
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) {
      this.bad(path, `at least one ${what} is required`);
      return undefined;
    }
    if (!isSeq(node)) {
      this.bad(path, `must be a list, got ${describe(node)}`);
      return undefined;
    }
    if (node.items.length === 0) this.bad(path, `at least one ${what} is required`);
    return node.items;
  }
  /** A scalar string; `secret` is never echoed, so neither is any scalar here. */
  str(node: unknown, path: string): string | undefined {
    if (node === undefined || (isScalar(node) && node.value === null)) return undefined;
    if (!isScalar(node) || typeof node.value !== 'string') {
      this.bad(path, `must be a string, got ${describe(node)}`);
      return undefined;
    }
    return node.value;
  }
}

function describe(node: unknown): string {
  if (node === undefined || node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) return node.value === null ? 'null' : `a ${typeof node.value}`;
  if (isAlias(node)) return "a YAML alias (quote names that start with '*', as '*.apps')";
  return 'an unsupported value';
}

/** Absent, null, `~` or `{}`. */
const isEmpty = (node: unknown) =>
  node === undefined || node === null || (isScalar(node) && node.value === null) || (isMap(node) && !node.items.length);

interface Rule {
  readonly path: string;
  readonly gr: GroupResource;
  readonly name: string;
}

/** Validates one resources[i].resources list (upstream's validateResourceNames and validateResourceOverlap). */
function checkResourceNames(c: Checker, names: readonly { name: string; path: string }[], listPath: string): void {
  const grs = names.map((n) => parseGroupResource(n.name));
  let duplicate = false;
  let overlap = false;
  for (const [i, a] of grs.entries()) {
    for (const [j, b] of grs.entries()) {
      if (i === j) continue;
      if (a.group === b.group && a.resource === b.resource) duplicate = true;
      else if (a.group === '*' && a.resource === '*') overlap = true;
      else if (a.group === b.group && (a.resource === '*' || b.resource === '*')) overlap = true;
    }
  }
  if (duplicate) c.bad(listPath, 'the same resource cannot be specified multiple times');
  if (overlap) {
    c.bad(
      listPath,
      "using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked",
    );
  }
  for (const { name, path } of names) {
    const gr = parseGroupResource(name);
    const q = JSON.stringify(name);
    if (name.toLowerCase() !== name) c.bad(path, `${q}: resource name should not contain capital letters`);
    else if (name === '*') {
      c.bad(path, `${q}: use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources`);
    } else if (name === '' || gr.resource === '') c.bad(path, `${q}: not a resource name`);
    else if (NON_REST.has(name)) c.bad(path, `${q}: resources which do not have REST API/s cannot be encrypted`);
    else if (gr.group === 'events.k8s.io') {
      c.bad(
        path,
        `${q}: '*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file`,
      );
    } else if (gr.group === 'extensions') {
      c.bad(path, `${q}: 'extensions' group has been removed and cannot be used for encryption`);
    } else if (gr.group === '*' && gr.resource !== '*') {
      c.bad(path, `${q}: encrypting the same resource across groups is not supported`);
    }
  }
}

/** One provider element → its prefix transformer, or undefined (problems recorded). */
function provider(c: Checker, node: unknown, path: string): PrefixTransformer | undefined {
  const fields = c.map(node, path, PROVIDERS);
  if (!fields) return undefined;
  if (fields.size === 0) {
    // Unknown names were reported by map(); only say this when the element is otherwise empty.
    if (isMap(node) && node.items.length === 0) {
      c.bad(path, 'provider does not contain any of the expected providers: kms, aesgcm, aescbc, secretbox, identity');
    }
    return undefined;
  }
  if (fields.size > 1) {
    c.bad(path, 'more than one provider specified in a single element, should split into different list elements');
    return undefined;
  }
  const [[name, body]] = [...fields] as [[Provider, unknown]];
  const here = `${path}.${name}`;
  if (name === 'kms') return kmsProvider(c, body, here);
  if (name === 'identity') {
    if (!isEmpty(body)) c.map(body, here, []);
    return { prefix: Buffer.alloc(0), transformer: identityTransformer };
  }
  const cfg = c.map(body, here, ['keys']);
  if (!cfg) return undefined;
  const keys = c.seq(cfg.get('keys'), `${here}.keys`, 'keys');
  if (!keys || keys.length === 0) return undefined;
  const want = KEY_SIZES[name];
  const perKey: PrefixTransformer[] = [];
  let ok = true;
  for (const [k, keyNode] of keys.entries()) {
    const kp = `${here}.keys[${k}]`;
    const key = c.map(keyNode, kp, ['name', 'secret']);
    if (!key) {
      ok = false;
      continue;
    }
    const keyName = c.str(key.get('name'), `${kp}.name`);
    if (!keyName) {
      if (isEmpty(key.get('name')) || keyName === '') c.bad(`${kp}.name`, 'name is a mandatory field for a key');
      ok = false;
    }
    const secret = c.str(key.get('secret'), `${kp}.secret`);
    if (!secret) {
      if (isEmpty(key.get('secret')) || secret === '') c.bad(`${kp}.secret`, 'secret is a mandatory field for a key');
      ok = false;
      continue;
    }
    const bytes = decodeStdBase64(secret);
    if (bytes === undefined) {
      c.bad(`${kp}.secret`, 'must be base64 encoded (standard alphabet, with padding)');
      ok = false;
      continue;
    }
    if (!want.includes(bytes.length)) {
      c.bad(`${kp}.secret`, `must be ${sizes(want)} bytes of base64, got ${bytes.length}`);
      ok = false;
      continue;
    }
    if (keyName) perKey.push({ prefix: Buffer.from(`${keyName}:`), transformer: CIPHER[name](bytes) });
    bytes.fill(0);
  }
  if (!ok || perKey.length === 0) return undefined;
  return { prefix: Buffer.from(PREFIX[name]), transformer: prefixTransformers(NO_KEY[name], perKey) };
}

const KMS_DEFAULT_TIMEOUT_MS = 3000;

/** A `kms` element (upstream's validateKMSConfiguration, v2 only) → its prefix transformer. */
function kmsProvider(c: Checker, body: unknown, here: string): PrefixTransformer | undefined {
  const cfg = c.map(body, here, ['apiVersion', 'name', 'cachesize', 'endpoint', 'timeout']);
  if (!cfg) return undefined;
  const before = c.problems.length;
  const apiVersion = c.str(cfg.get('apiVersion'), `${here}.apiVersion`) ?? 'v1';
  if (apiVersion === 'v1') {
    c.bad(
      `${here}.apiVersion`,
      'KMSv1 is deprecated and will only receive security updates going forward. Use KMSv2 instead (mkube implements apiVersion: v2 only)',
      'NOT_SUPPORTED',
    );
  } else if (apiVersion !== 'v2') {
    c.bad(`${here}.apiVersion`, `unsupported apiVersion ${apiVersion} for KMS provider, only v1 and v2 are supported`);
  }
  const name = c.str(cfg.get('name'), `${here}.name`);
  if (!name) c.bad(`${here}.name`, 'name is a mandatory field for a KMS provider');
  else if (name.includes(':')) c.bad(`${here}.name`, `invalid KMS provider name ${name}, must not contain ':'`);
  if (!isEmpty(cfg.get('cachesize')) && apiVersion === 'v2')
    c.bad(`${here}.cachesize`, 'cachesize is not supported in v2');
  const endpoint = c.str(cfg.get('endpoint'), `${here}.endpoint`);
  if (!endpoint) c.bad(`${here}.endpoint`, 'endpoint is a mandatory field for a KMS provider');
  else {
    let scheme = '';
    try {
      scheme = new URL(endpoint).protocol.replace(/:$/, '');
    } catch {
      c.bad(`${here}.endpoint`, `invalid endpoint for kms provider, error: not a URL: ${JSON.stringify(endpoint)}`);
    }
    if (scheme && scheme !== 'unix')
      c.bad(
        `${here}.endpoint`,
        `unsupported scheme ${JSON.stringify(scheme)} for KMS provider, only unix is supported`,
      );
    else if (scheme === 'unix' && !endpoint.slice('unix://'.length).startsWith('/') && !endpoint.startsWith('unix:@'))
      c.bad(`${here}.endpoint`, 'the unix socket must be an absolute path (unix:///path/to/kms.sock)');
  }
  let timeoutMs = KMS_DEFAULT_TIMEOUT_MS;
  const timeout = c.str(cfg.get('timeout'), `${here}.timeout`);
  if (timeout !== undefined) {
    try {
      timeoutMs = parseDuration(timeout);
      if (timeoutMs <= 0) c.bad(`${here}.timeout`, 'timeout should be a positive value');
    } catch (e) {
      c.bad(`${here}.timeout`, (e as Error).message);
    }
  }
  if (c.problems.length > before || !name || !endpoint) return undefined;
  // One plugin may serve several resource lists; one name for two plugins would make two
  // providers write the same prefix.
  const settings = JSON.stringify([endpoint, timeoutMs]);
  const known = c.kms.get(name);
  if (known && known.settings !== settings) {
    c.bad(`${here}.name`, `duplicate KMS provider name ${name}, names must be unique`);
    return undefined;
  }
  const provider = known?.provider ?? new KmsV2Provider({ name, endpoint, timeoutMs });
  c.kms.set(name, { provider, settings });
  return { prefix: Buffer.from(`${KMS_V2_PREFIX}${name}:`), transformer: provider.transformer };
}

/** Where each stored resource lives: `/registry/<resource>/` (core) or `/registry/<group>/<resource>/`. */
function keyResolver(): (key: string) => GroupResource | undefined {
  const byPrefix = new Map<string, GroupResource>();
  for (const def of RESOURCES) byPrefix.set(resourcePrefix(def), { group: def.group, resource: def.resource });
  return (key) => {
    if (!key.startsWith('/registry/')) return undefined;
    const [first = '', second = ''] = key.slice('/registry/'.length).split('/', 2);
    const known = byPrefix.get(`/registry/${first}/`) ?? byPrefix.get(`/registry/${first}/${second}/`);
    if (known) return known;
    // Not in the catalog: API groups other than the core one contain a dot (or are one of the old
    // dot-less built-in groups).
    return first.includes('.') || DOTLESS_GROUPS.has(first)
      ? { group: first, resource: second }
      : { group: '', resource: first };
  };
}

const DOTLESS_GROUPS = new Set(['apps', 'autoscaling', 'batch', 'extensions', 'policy']);

/** Parses and validates the file's text; undefined when there are problems (added to `problems`). */
export function parseEncryptionConfig(
  text: string,
  file: string,
  problems: ConfigProblem[],
): EncryptionConfig | undefined {
  const c = new Checker(file);
  const done = () => {
    problems.push(...c.problems);
    return undefined;
  };
  if (text.trim() === '') {
    c.bad('', 'encryption provider configuration file is empty');
    return done();
  }
  const lines = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    c.bad('', `not valid YAML or JSON (${(e as Error).name})`);
    return done();
  }
  const err = doc.errors[0];
  if (err) {
    // The parser's own message quotes the offending source line, which may hold a secret: only
    // the position and the error code are reported.
    const pos = lines.linePos(err.pos[0]);
    c.bad('', `not valid YAML or JSON: ${(err as YAMLError).code} at line ${pos.line}, column ${pos.col}`);
    return done();
  }
  const top = c.map(doc.contents, '', ['apiVersion', 'kind', 'resources']);
  if (!top) return done();
  const apiVersion = c.str(top.get('apiVersion'), 'apiVersion');
  const kind = c.str(top.get('kind'), 'kind');
  const modern = apiVersion === 'apiserver.config.k8s.io/v1' && kind === 'EncryptionConfiguration';
  const legacy = apiVersion === 'v1' && kind === 'EncryptionConfig';
  if (!modern && !legacy) {
    c.bad(
      'apiVersion/kind',
      `got ${JSON.stringify(apiVersion ?? '')}/${JSON.stringify(kind ?? '')}, want apiserver.config.k8s.io/v1 EncryptionConfiguration (or the legacy v1 EncryptionConfig)`,
    );
  }

  const rules: { rule: Rule; providers: PrefixTransformer[] }[] = [];
  const entries = c.seq(top.get('resources'), 'resources', 'resources') ?? [];
  for (const [i, entry] of entries.entries()) {
    const ep = `resources[${i}]`;
    const fields = c.map(entry, ep, ['resources', 'providers']);
    if (!fields) continue;
    const names: { name: string; path: string }[] = [];
    for (const [j, n] of (c.seq(fields.get('resources'), `${ep}.resources`, `${ep}.resources`) ?? []).entries()) {
      const name = c.str(n, `${ep}.resources[${j}]`);
      if (name !== undefined) names.push({ name, path: `${ep}.resources[${j}]` });
      else if (isScalar(n) && n.value === null) c.bad(`${ep}.resources[${j}]`, 'must be a resource name');
    }
    checkResourceNames(c, names, `${ep}.resources`);
    const providers: PrefixTransformer[] = [];
    for (const [j, p] of (c.seq(fields.get('providers'), `${ep}.providers`, `${ep}.providers`) ?? []).entries()) {
      const t = provider(c, p, `${ep}.providers[${j}]`);
      if (t) providers.push(t);
    }
    for (const { name, path } of names) rules.push({ rule: { path, gr: parseGroupResource(name), name }, providers });
  }

  if (c.problems.length > 0) return done();
  // Upstream's getTransformerOverrides, on a config that passed validation: a rule masked by an
  // earlier `*.<group>` or `*.*` is an error; the same name in two entries chains their providers.
  const byGr = new Map<string, PrefixTransformer[]>();
  for (const { rule, providers } of rules) {
    const mask = [
      { group: rule.gr.group, resource: '*' },
      { group: '*', resource: '*' },
    ].find((m) => byGr.has(grKey(m)));
    if (mask) {
      c.bad(
        rule.path,
        `resource ${JSON.stringify(grString(rule.gr))} is masked by earlier rule ${JSON.stringify(grString(mask))}`,
      );
    }
    byGr.set(grKey(rule.gr), [...(byGr.get(grKey(rule.gr)) ?? []), ...providers]);
  }
  if (c.problems.length > 0) return done();

  const transformers = new Map<string, Transformer>();
  for (const [k, list] of byGr) transformers.set(k, prefixTransformers('no matching prefix found', list));
  const transformerFor = (gr: GroupResource): Transformer =>
    transformers.get(grKey(gr)) ??
    transformers.get(grKey({ group: gr.group, resource: '*' })) ??
    transformers.get('*/*') ??
    identityTransformer;
  const resolve = keyResolver();
  const memo = new Map<string, Transformer>();
  return Object.freeze({
    file,
    resources: Object.freeze(rules.map((r) => r.rule.name)),
    kmsProviders: Object.freeze([...c.kms.values()].map((k) => k.provider)),
    transformerFor,
    transformerForKey(key: string): Transformer | undefined {
      const gr = resolve(key);
      if (!gr) return undefined;
      const k = grKey(gr);
      let t = memo.get(k);
      if (!t) {
        t = transformerFor(gr);
        memo.set(k, t);
      }
      return t;
    },
  });
}

/** Reads and validates the file; problems (unreadable, invalid) are added to `problems`. */
export function readEncryptionConfig(file: string, problems: ConfigProblem[]): EncryptionConfig | undefined {
  const text = readFlagFile(ENCRYPTION_FLAG, file, problems);
  return text === undefined ? undefined : parseEncryptionConfig(text, file, problems);
}

/** Reads and validates the file; throws ConfigError listing every problem. */
export function loadEncryptionConfig(file: string): EncryptionConfig {
  const problems: ConfigProblem[] = [];
  const config = readEncryptionConfig(file, problems);
  if (!config) throw new ConfigError(problems);
  return config;
}
