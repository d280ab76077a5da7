// client-go's exec credential plugins (plugin/pkg/client/auth/exec): a command that prints an
// ExecCredential — a bearer token, a client certificate and key, or both, maybe with an expiry —
// run when there is none cached, when the cached one expired, and after the apiserver answered 401
// to it. One run at a time per plugin configuration, shared by every client made from it.
//
// The plugin gets KUBERNETES_EXEC_INFO (an ExecCredential whose spec says whether it may prompt
// and, with provideClusterInfo, which cluster it is for); its stderr goes to ours and stdin is
// handed over only when it may prompt. What it prints is never logged or put in an error: it holds
// the credential.
import { spawn } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { CachingCredentialProvider, type FetchedCredentials, type ProvidedCredentials } from './credentials.js';
import { observeExecCertificateRotation, recordExecPluginCall, setExecCertificateExpiry } from './execmetrics.js';

export type ExecApiVersion = 'client.authentication.k8s.io/v1' | 'client.authentication.k8s.io/v1beta1';

/** A kubeconfig user's `exec` (clientcmd's ExecConfig), as read and checked by the kubeconfig reader. */
export interface ExecPluginConfig {
  readonly command: string;
  readonly args?: readonly string[];
  readonly env?: readonly { readonly name: string; readonly value: string }[];
  readonly apiVersion: ExecApiVersion;
  readonly installHint?: string;
  readonly provideClusterInfo?: boolean;
  readonly interactiveMode: 'Never' | 'IfAvailable' | 'Always';
}

/** clientauthentication's Cluster: what a plugin is told about the cluster with provideClusterInfo. */
export interface ExecClusterInfo {
  readonly server: string;
  readonly 'tls-server-name'?: string;
  readonly 'insecure-skip-tls-verify'?: boolean;
  /** Base64 of the CA bundle's PEM, as Go encodes []byte. */
  readonly 'certificate-authority-data'?: string;
  readonly 'proxy-url'?: string;
  /** The cluster's client.authentication.k8s.io/exec extension. */
  readonly config?: unknown;
}

export class ExecCredentialError extends Error {
  override readonly name = 'ExecCredentialError';
}

/** client-go prints this with the install hint (at most ten times an hour, so a daemon's log is not flooded). */
const INSTALL_HINT_HELP =
  '\n\nIt looks like you are trying to use a client-go credential plugin that is not installed.\n\n' +
  'To learn more about this feature, consult the documentation available at:\n' +
  '      https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins';
const HINTS_PER_HOUR = 10;
/** A credential is a few KiB; anything far larger is a confused plugin, not one to buffer without end. */
const MAX_STDOUT_BYTES = 4 << 20;

export interface ExecAuthenticatorOptions {
  /** Default `process.stdin.isTTY`. */
  readonly stdinIsTerminal?: boolean;
  readonly now?: () => number;
}

export class ExecAuthenticator extends CachingCredentialProvider {
  readonly #config: ExecPluginConfig;
  readonly #cluster: ExecClusterInfo | undefined;
  readonly #stdinIsTerminal: boolean;
  /** The last credential's certificate, for the rotation metric (client-go's oldCreds.cert). */
  #lastCert: { readonly pem: string; readonly notBefore: number } | undefined;
  #hintWindowStart = 0;
  #hintsInWindow = 0;

  constructor(config: ExecPluginConfig, cluster?: ExecClusterInfo, opts: ExecAuthenticatorOptions = {}) {
    super(opts.now ?? Date.now);
    this.#config = config;
    this.#cluster = cluster;
    this.#stdinIsTerminal = opts.stdinIsTerminal ?? Boolean(process.stdin.isTTY);
  }

  /** The expiry is the plugin's `expirationTimestamp`; without one, the credential lasts until a 401. */
  protected async fetch(): Promise<FetchedCredentials> {
    const interactive = this.#interactive();
    const info = {
      apiVersion: this.#config.apiVersion,
      kind: 'ExecCredential',
      spec: {
        interactive,
        ...(this.#config.provideClusterInfo && this.#cluster ? { cluster: this.#cluster } : {}),
      },
    };
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const e of this.#config.env ?? []) env[e.name] = e.value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify(info);
    return this.#decode(await this.#run(env, interactive));
  }

  #interactive(): boolean {
    switch (this.#config.interactiveMode) {
      case 'Never':
        return false;
      case 'IfAvailable':
        return this.#stdinIsTerminal;
      case 'Always':
        if (!this.#stdinIsTerminal)
          throw new ExecCredentialError(
            'exec plugin cannot support interactive mode: standard input is not a terminal',
          );
        return true;
    }
  }

  #run(env: NodeJS.ProcessEnv, interactive: boolean): Promise<string> {
    const cmd = this.#config.command;
    return new Promise<string>((resolve, reject) => {
      const child = spawn(cmd, [...(this.#config.args ?? [])], {
        env,
        stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'inherit'],
      });
      const chunks: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      child.stdout?.on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_STDOUT_BYTES) {
          if (!tooBig) child.kill('SIGKILL');
          tooBig = true;
          return;
        }
        chunks.push(d);
      });
      // incrementCallsMetric: Go's exec.Error and fs.PathError are "not found", an ExitError an
      // execution error with its code, anything else the client's own.
      child.once('error', (e: NodeJS.ErrnoException) => {
        const missing = e.code === 'ENOENT' || e.code === 'EACCES';
        recordExecPluginCall(1, missing ? 'plugin_not_found_error' : 'client_internal_error');
        if (e.code === 'ENOENT') reject(new ExecCredentialError(this.#notFound()));
        else if (e.code === 'EACCES') reject(new ExecCredentialError(`exec: fork/exec ${cmd}: permission denied`));
        else reject(new ExecCredentialError(`exec: ${e.message}`));
      });
      child.once('close', (code, signal) => {
        // Go's ExitCode() is -1 for a process ended by a signal.
        const exit = signal ? -1 : (code ?? -1);
        if (tooBig) {
          recordExecPluginCall(1, 'client_internal_error');
          reject(new ExecCredentialError(`exec: executable ${cmd} wrote more than ${MAX_STDOUT_BYTES} bytes`));
        } else if (exit !== 0) {
          recordExecPluginCall(exit, 'plugin_execution_error');
          reject(new ExecCredentialError(`exec: executable ${cmd} failed with exit code ${exit}`));
        } else {
          recordExecPluginCall(0, 'no_error');
          resolve(Buffer.concat(chunks).toString('utf8'));
        }
      });
    });
  }

  /**
   * As client-go when the plugin's credential replaces the last one: a different certificate ends the
   * old one's life (rotation age from its notBefore), and the TTL gauge follows the current one.
   */
  #certificateMetrics(certPem: string, leaf: X509Certificate | undefined): void {
    const old = this.#lastCert;
    if (old && old.pem !== certPem) observeExecCertificateRotation((this.now() - old.notBefore) / 1000);
    this.#lastCert = leaf ? { pem: certPem, notBefore: Date.parse(leaf.validFrom) } : undefined;
    setExecCertificateExpiry(this, leaf ? Date.parse(leaf.validTo) : undefined);
  }

  #notFound(): string {
    let text = `exec: executable ${this.#config.command} not found`;
    const now = this.now();
    if (now - this.#hintWindowStart >= 3600_000) {
      this.#hintWindowStart = now;
      this.#hintsInWindow = 0;
    }
    if (this.#hintsInWindow < HINTS_PER_HOUR) {
      this.#hintsInWindow++;
      text += INSTALL_HINT_HELP;
      if (this.#config.installHint) text += `\n\n${this.#config.installHint}`;
    }
    return text;
  }

  /** The plugin's ExecCredential, checked as client-go checks it; the error never quotes the output. */
  #decode(stdout: string): FetchedCredentials {
    let doc: unknown;
    try {
      doc = JSON.parse(stdout);
    } catch (e) {
      throw new ExecCredentialError(`decoding stdout: ${(e as Error).message}`);
    }
    if (!isObj(doc)) throw new ExecCredentialError('decoding stdout: expected a JSON object');
    if (typeof doc.apiVersion !== 'string' || doc.apiVersion === '')
      throw new ExecCredentialError("decoding stdout: Object 'apiVersion' is missing");
    if (typeof doc.kind !== 'string' || doc.kind === '')
      throw new ExecCredentialError("decoding stdout: Object 'Kind' is missing");
    if (doc.apiVersion !== this.#config.apiVersion)
      throw new ExecCredentialError(
        `exec plugin is configured to use API version ${this.#config.apiVersion}, plugin returned version ${doc.apiVersion}`,
      );
    if (doc.kind !== 'ExecCredential')
      throw new ExecCredentialError(
        `decoding stdout: no kind ${JSON.stringify(doc.kind)} is registered for version ${JSON.stringify(doc.apiVersion)}`,
      );
    const status = doc.status;
    if (status === undefined || status === null)
      throw new ExecCredentialError("exec plugin didn't return a status field");
    if (!isObj(status)) throw new ExecCredentialError('decoding stdout: status: expected an object');
    const field = (k: string): string => {
      const v = status[k];
      if (v === undefined || v === null) return '';
      if (typeof v !== 'string') throw new ExecCredentialError(`decoding stdout: status.${k}: expected a string`);
      return v;
    };
    const token = field('token');
    const certPem = field('clientCertificateData');
    const keyPem = field('clientKeyData');
    if (!token && !certPem && !keyPem)
      throw new ExecCredentialError("exec plugin didn't return a token or cert/key pair");
    if (!certPem !== !keyPem) throw new ExecCredentialError('exec plugin returned only certificate or key, not both');
    let expiresAt: number | undefined;
    const exp = field('expirationTimestamp');
    if (exp) {
      expiresAt = Date.parse(exp);
      if (!/^\d{4}-\d\d-\d\dT/.test(exp) || Number.isNaN(expiresAt))
        throw new ExecCredentialError(`decoding stdout: status.expirationTimestamp: not an RFC 3339 time: ${exp}`);
    }
    let leaf: X509Certificate | undefined;
    if (certPem) {
      try {
        leaf = new X509Certificate(certPem);
        if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) throw new Error('private key does not match public key');
      } catch (e) {
        throw new ExecCredentialError(`failed parsing client key/certificate: ${(e as Error).message}`);
      }
    }
    this.#certificateMetrics(certPem, leaf);
    const creds: ProvidedCredentials = {
      ...(token ? { token } : {}),
      ...(certPem ? { clientCertPem: certPem, clientKeyPem: keyPem } : {}),
    };
    return { creds, ...(expiresAt === undefined ? {} : { until: expiresAt }) };
  }
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * One authenticator per plugin configuration and cluster, as client-go's cache: every client made
 * from the same kubeconfig user shares one credential and one plugin run.
 */
const shared = new Map<string, ExecAuthenticator>();

export function execAuthenticatorFor(config: ExecPluginConfig, cluster?: ExecClusterInfo): ExecAuthenticator {
  const key = JSON.stringify([config, cluster ?? null]);
  let a = shared.get(key);
  if (!a) {
    a = new ExecAuthenticator(config, cluster);
    shared.set(key, a);
  }
  return a;
}
