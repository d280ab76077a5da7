// Reading a kubeconfig: YAML (or JSON) into the typed structure, every problem reported with the
// file and the field, as kubectl would point at it. Unknown keys are ignored, as kubectl does.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  type Kubeconfig,
  type KubeconfigCluster,
  type KubeconfigContext,
  KubeconfigError,
  type KubeconfigUser,
} from './types.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

class Reader {
  constructor(readonly file: string | undefined) {}
  fail(field: string | undefined, problem: string): never {
    throw new KubeconfigError(this.file, field, problem);
  }
  str(o: Obj, key: string, at: string, required = false): string | undefined {
    const v = o[key];
    if (v === undefined || v === null || v === '') {
      if (required) this.fail(`${at}.${key}`, 'required');
      return undefined;
    }
    if (typeof v !== 'string') this.fail(`${at}.${key}`, `expected a string, got ${typeof v}`);
    return v;
  }
  bool(o: Obj, key: string, at: string): boolean | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') this.fail(`${at}.${key}`, 'expected true or false');
    return v;
  }
  pemData(o: Obj, key: string, at: string, label: RegExp): string | undefined {
    const v = this.str(o, key, at);
    if (v === undefined) return undefined;
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(v)) this.fail(`${at}.${key}`, 'not valid base64');
    const text = Buffer.from(v, 'base64').toString('utf8');
    if (!label.test(text)) this.fail(`${at}.${key}`, 'does not decode to a PEM block of the expected type');
    return v;
  }
  list(root: Obj, key: string): Obj[] {
    const v = root[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(key, 'expected a list');
    return v.map((item, i) => {
      if (!isObj(item)) this.fail(`${key}[${i}]`, 'expected a mapping');
      return item;
    });
  }
}

const CERT = /-----BEGIN CERTIFICATE-----/;
const KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

export function parseKubeconfig(text: string, source?: string): Kubeconfig {
  const r: Reader = new Reader(source);
  let doc: unknown;
  try {
    doc = text.trim() === '' ? {} : parseYaml(text);
  } catch (e) {
    r.fail(undefined, `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObj(doc)) r.fail(undefined, 'expected a mapping at the top level');
  if (doc.kind !== undefined && doc.kind !== 'Config')
    r.fail('kind', `expected "Config", got ${JSON.stringify(doc.kind)}`);
  if (doc.apiVersion !== undefined && doc.apiVersion !== 'v1')
    r.fail('apiVersion', `expected "v1", got ${JSON.stringify(doc.apiVersion)}`);

  const clusters = r.list(doc, 'clusters').map((item, i) => {
    const at = `clusters[${i}]`;
    const name = r.str(item, 'name', at, true)!;
    const c = item.cluster;
    if (!isObj(c)) r.fail(`${at}.cluster`, 'required');
    const server = r.str(c, 'server', `${at}.cluster`, true)!;
    try {
      const u = new URL(server);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
    } catch {
      r.fail(`${at}.cluster.server`, `not an http(s) URL: ${JSON.stringify(server)}`);
    }
    const cluster: KubeconfigCluster = { server };
    const ca = r.str(c, 'certificate-authority', `${at}.cluster`);
    if (ca) cluster['certificate-authority'] = ca;
    const caData = r.pemData(c, 'certificate-authority-data', `${at}.cluster`, CERT);
    if (caData) cluster['certificate-authority-data'] = caData;
    const insecure = r.bool(c, 'insecure-skip-tls-verify', `${at}.cluster`);
    if (insecure !== undefined) cluster['insecure-skip-tls-verify'] = insecure;
    const sni = r.str(c, 'tls-server-name', `${at}.cluster`);
    if (sni) cluster['tls-server-name'] = sni;
    const proxy = r.str(c, 'proxy-url', `${at}.cluster`);
    if (proxy) cluster['proxy-url'] = proxy;
    return { name, cluster };
  });

  const users = r.list(doc, 'users').map((item, i) => {
    const at = `users[${i}]`;
    const name = r.str(item, 'name', at, true)!;
    const u = isObj(item.user) ? item.user : {};
    const user: KubeconfigUser = {};
    const set = <K extends keyof KubeconfigUser>(k: K, v: KubeconfigUser[K] | undefined) => {
      if (v !== undefined) user[k] = v;
    };
    set('client-certificate', r.str(u, 'client-certificate', `${at}.user`));
    set('client-certificate-data', r.pemData(u, 'client-certificate-data', `${at}.user`, CERT));
    set('client-key', r.str(u, 'client-key', `${at}.user`));
    set('client-key-data', r.pemData(u, 'client-key-data', `${at}.user`, KEY));
    set('token', r.str(u, 'token', `${at}.user`));
    set('tokenFile', r.str(u, 'tokenFile', `${at}.user`));
    set('username', r.str(u, 'username', `${at}.user`));
    set('password', r.str(u, 'password', `${at}.user`));
    return { name, user };
  });

  const contexts = r.list(doc, 'contexts').map((item, i) => {
    const at = `contexts[${i}]`;
    const name = r.str(item, 'name', at, true)!;
    const c = isObj(item.context) ? item.context : r.fail(`${at}.context`, 'required');
    const context: KubeconfigContext = {
      cluster: r.str(c, 'cluster', `${at}.context`) ?? '',
      user: r.str(c, 'user', `${at}.context`) ?? '',
    };
    const ns = r.str(c, 'namespace', `${at}.context`);
    if (ns) context.namespace = ns;
    return { name, context };
  });

  const current = r.str(doc, 'current-context', '') ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters,
    users,
    contexts,
    'current-context': current,
    preferences: isObj(doc.preferences) ? doc.preferences : {},
    ...(source ? { source: resolve(source) } : {}),
  };
}

export async function loadKubeconfig(path: string): Promise<Kubeconfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new KubeconfigError(
      path,
      undefined,
      `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return parseKubeconfig(text, path);
}
