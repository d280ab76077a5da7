// Reading a kubeconfig: YAML (or JSON) into the typed structure, every problem reported with the
// file and the field, as kubectl would point at it. Unknown keys are ignored, as kubectl does.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  APISERVERS_EXTENSION,
  EXEC_API_VERSIONS,
  type ExecApiVersion,
  type ExecConfig,
  type ExecInteractiveMode,
  type Kubeconfig,
  type KubeconfigCluster,
  type KubeconfigContext,
  KubeconfigError,
  type KubeconfigUser,
  type NamedExtension,
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
  /** An http(s) URL string, or a failure naming `field`. */
  url(v: unknown, field: string): string {
    if (typeof v !== 'string' || v === '') this.fail(field, `expected an http(s) URL, got ${JSON.stringify(v)}`);
    try {
      const u = new URL(v);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
    } catch {
      this.fail(field, `not an http(s) URL: ${JSON.stringify(v)}`);
    }
    return v;
  }
  /**
   * A cluster's `extensions`: any JSON under any name is kept as it is (kubectl ignores what it
   * does not know); ours, mkube.io/apiservers, must hold a non-empty `servers` list of URLs.
   */
  extensions(o: Obj, at: string): NamedExtension[] | undefined {
    const v = o.extensions;
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.fail(`${at}.extensions`, 'expected a list');
    let ours = -1;
    return v.map((item: unknown, i) => {
      const eAt = `${at}.extensions[${i}]`;
      if (!isObj(item)) this.fail(eAt, 'expected a mapping');
      const name = this.str(item, 'name', eAt, true)!;
      if (name === APISERVERS_EXTENSION) {
        if (ours >= 0) this.fail(`${eAt}.name`, `${APISERVERS_EXTENSION} given twice (first at extensions[${ours}])`);
        ours = i;
        const ext = item.extension;
        if (!isObj(ext)) this.fail(`${eAt}.extension`, 'expected a mapping with a servers list');
        const servers = ext.servers;
        if (!Array.isArray(servers) || servers.length === 0)
          this.fail(`${eAt}.extension.servers`, 'expected a non-empty list of apiserver URLs');
        for (const [j, s] of servers.entries()) this.url(s, `${eAt}.extension.servers[${j}]`);
      }
      return { name, extension: item.extension };
    });
  }
  /** A list of strings, or a failure naming the field. */
  strings(o: Obj, key: string, at: string): string[] | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.fail(`${at}.${key}`, 'expected a list of strings');
    return v.map((s: unknown, i) => {
      if (typeof s !== 'string') this.fail(`${at}.${key}[${i}]`, `expected a string, got ${typeof s}`);
      return s;
    });
  }
  /**
   * A user's `exec` (clientcmd's ExecConfig), checked as clientcmd's validation does, with its
   * defaulting: a v1beta1 plugin without interactiveMode is IfAvailable; v1 must say.
   */
  exec(u: Obj, at: string, userName: string): ExecConfig | undefined {
    const e = u.exec;
    if (e === undefined || e === null) return undefined;
    const eAt = `${at}.exec`;
    if (!isObj(e)) this.fail(eAt, 'expected a mapping');
    if (u['auth-provider'] !== undefined && u['auth-provider'] !== null)
      this.fail(eAt, `authProvider cannot be provided in combination with an exec plugin for ${userName}`);
    const command = this.str(e, 'command', eAt);
    if (!command)
      this.fail(`${eAt}.command`, `command must be specified for ${userName} to use exec authentication plugin`);
    const apiVersion = this.str(e, 'apiVersion', eAt);
    if (!apiVersion)
      this.fail(`${eAt}.apiVersion`, `apiVersion must be specified for ${userName} to use exec authentication plugin`);
    if (!(EXEC_API_VERSIONS as readonly string[]).includes(apiVersion))
      this.fail(
        `${eAt}.apiVersion`,
        `exec plugin: invalid apiVersion ${JSON.stringify(apiVersion)} (expected ${EXEC_API_VERSIONS.join(' or ')})`,
      );
    const out: ExecConfig = {
      command,
      apiVersion: apiVersion as ExecApiVersion,
      interactiveMode: 'IfAvailable',
    };
    const args = this.strings(e, 'args', eAt);
    if (args) out.args = args;
    const env = e.env;
    if (env !== undefined && env !== null) {
      if (!Array.isArray(env)) this.fail(`${eAt}.env`, 'expected a list of {name, value}');
      out.env = env.map((item: unknown, i) => {
        const vAt = `${eAt}.env[${i}]`;
        if (!isObj(item)) this.fail(vAt, 'expected a mapping with name and value');
        const name = this.str(item, 'name', vAt);
        if (!name)
          this.fail(
            `${vAt}.name`,
            `env variable name must be specified for ${userName} to use exec authentication plugin`,
          );
        const value = item.value ?? '';
        if (typeof value !== 'string') this.fail(`${vAt}.value`, `expected a string, got ${typeof value}`);
        return { name, value };
      });
    }
    const hint = this.str(e, 'installHint', eAt);
    if (hint) out.installHint = hint;
    const cluster = this.bool(e, 'provideClusterInfo', eAt);
    if (cluster !== undefined) out.provideClusterInfo = cluster;
    const mode = this.str(e, 'interactiveMode', eAt);
    if (mode === undefined) {
      if (apiVersion === 'client.authentication.k8s.io/v1')
        this.fail(
          `${eAt}.interactiveMode`,
          `interactiveMode must be specified for ${userName} to use exec authentication plugin`,
        );
    } else if (mode === 'Never' || mode === 'IfAvailable' || mode === 'Always') {
      out.interactiveMode = mode as ExecInteractiveMode;
    } else {
      this.fail(`${eAt}.interactiveMode`, `invalid interactiveMode for ${userName}: ${JSON.stringify(mode)}`);
    }
    return out;
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
    const server = r.url(r.str(c, 'server', `${at}.cluster`, true), `${at}.cluster.server`);
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
    const extensions = r.extensions(c, `${at}.cluster`);
    if (extensions) cluster.extensions = extensions;
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
    set('exec', r.exec(u, `${at}.user`, name));
    const provider = u['auth-provider'];
    if (provider !== undefined && provider !== null) {
      if (!isObj(provider)) r.fail(`${at}.user.auth-provider`, 'expected a mapping');
      const pName = r.str(provider, 'name', `${at}.user.auth-provider`, true)!;
      user['auth-provider'] = {
        name: pName,
        ...(isObj(provider.config) ? { config: provider.config as Record<string, string> } : {}),
      };
    }
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
