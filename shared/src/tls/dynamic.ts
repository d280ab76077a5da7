// Certificate files that are read again when they change, as k8s.io/apiserver's dynamiccertificates
// (DynamicCertKeyPairContent, DynamicFileCAContent): a serving pair or a CA bundle can be replaced
// on disk — a renewed serving certificate, a second CA added for a rotation — without restarting
// the daemon. New content is taken only when it is whole: a certificate whose key does not match
// (one file written before the other), an empty or unparsable file is logged and the previous
// content stays until the files change again. Listeners hear only of real changes.
import { type StatWatcher, unwatchFile, watchFile } from 'node:fs';
import { ConfigError, type ConfigProblem } from '../flags/configerror.js';
import { readCertificates, readKeyPair } from '../flags/pem.js';
import type { Logger } from '../log/index.js';
import type { ParsedCertificate } from '../pki/index.js';

export interface CertKeyPair {
  /** The certificate followed by any intermediates. */
  readonly certPem: string;
  readonly keyPem: string;
  readonly certs: readonly ParsedCertificate[];
}

export interface CABundle {
  readonly pem: string;
  readonly certs: readonly ParsedCertificate[];
}

export interface FlagFile {
  readonly flag: string;
  readonly file: string;
}

/** How often the files are looked at (a stat each); upstream reacts to fsnotify, mkube polls. */
export const DEFAULT_CHECK_INTERVAL_MS = 1000;

export class DynamicFileContent<T> {
  #current: T;
  readonly #listeners: ((value: T) => void)[] = [];
  #lastError: string | undefined;

  constructor(
    /** Upstream's name: `<purpose>::<file>[::<file>]`. */
    readonly name: string,
    readonly files: readonly string[],
    initial: T,
    readonly load: () => T,
    readonly same: (a: T, b: T) => boolean,
    readonly log: Logger,
    readonly loadedMessage: string,
  ) {
    this.#current = initial;
  }

  /** The content in use now: the same object until a change is taken. */
  get current(): T {
    return this.#current;
  }

  addListener(fn: (value: T) => void): void {
    this.#listeners.push(fn);
  }

  /** Reads the files now; true when new content was taken (and the listeners told). */
  check(): boolean {
    let next: T;
    try {
      next = this.load();
    } catch (e) {
      const message = (e as Error).message;
      // Every poll of a file that stays bad would say it again: once per distinct problem.
      if (message !== this.#lastError) {
        this.log.error(
          { content: this.name, err: message },
          'not loading the changed files; keeping the previous content',
        );
        this.#lastError = message;
      }
      return false;
    }
    this.#lastError = undefined;
    if (this.same(next, this.#current)) return false;
    this.#current = next;
    this.log.info({ content: this.name }, this.loadedMessage);
    for (const fn of this.#listeners) {
      try {
        fn(next);
      } catch (e) {
        this.log.error({ content: this.name, err: (e as Error).message }, 'applying the new content failed');
      }
    }
    return true;
  }

  /** Watches the files until `signal` aborts. */
  run(signal: AbortSignal, intervalMs = DEFAULT_CHECK_INTERVAL_MS): void {
    if (signal.aborted) return;
    let pending: NodeJS.Timeout | undefined;
    // A pair is usually written as two files in a row: read once both have had a moment to land.
    const changed = () => {
      pending ??= setTimeout(() => {
        pending = undefined;
        this.check();
      }, 50);
    };
    const watchers: [string, StatWatcher][] = this.files.map((f) => [
      f,
      watchFile(f, { interval: intervalMs, persistent: false }, changed),
    ]);
    // Anything written between the first read and the watch starting; and, once the watchers have
    // taken their first look, anything written while they did (they would see no change from it).
    this.check();
    const settled = setTimeout(() => this.check(), intervalMs);
    settled.unref();
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(pending);
        clearTimeout(settled);
        for (const [f] of watchers) unwatchFile(f, changed);
      },
      { once: true },
    );
  }
}

const fail = (problems: ConfigProblem[]): never => {
  throw new ConfigError(problems);
};

/** A serving (or client) certificate and its key: NewDynamicServingContentFromFiles. */
export function dynamicCertKeyPair(
  purpose: string,
  cert: FlagFile,
  key: FlagFile,
  initial: CertKeyPair,
  log: Logger,
): DynamicFileContent<CertKeyPair> {
  const load = (): CertKeyPair => {
    const problems: ConfigProblem[] = [];
    const pair = readKeyPair(cert, key, problems);
    if (problems.length > 0) fail(problems);
    if (!pair.certPem?.trim() || !pair.keyPem?.trim()) {
      fail([{ code: 'BAD_VALUE', flag: cert.flag, file: cert.file, message: 'missing content for serving cert' }]);
    }
    return { certPem: pair.certPem!, keyPem: pair.keyPem!, certs: pair.certs };
  };
  return new DynamicFileContent(
    `${purpose}::${cert.file}::${key.file}`,
    [cert.file, key.file],
    initial,
    load,
    (a, b) => a.certPem === b.certPem && a.keyPem === b.keyPem,
    log,
    'Loaded a new cert/key pair',
  );
}

/** A CA bundle: NewDynamicCAContentFromFile. */
export function dynamicCABundle(
  purpose: string,
  ca: FlagFile,
  initial: CABundle,
  log: Logger,
): DynamicFileContent<CABundle> {
  const load = (): CABundle => {
    const problems: ConfigProblem[] = [];
    const { pem, certs } = readCertificates(ca.flag, ca.file, problems);
    if (problems.length > 0) fail(problems);
    return { pem: pem!, certs };
  };
  return new DynamicFileContent(
    `${purpose}::${ca.file}`,
    [ca.file],
    initial,
    load,
    (a, b) => a.pem === b.pem,
    log,
    'Loaded a new CA Bundle and Verifier',
  );
}
