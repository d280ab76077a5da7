// request.log without a pino child per request. fastify makes one for every request to bind its
// request id, and pino serialises and redacts a child's bindings when it is made: ~2 % of a cheap
// request's CPU here. The apiserver logs from a request only when something fails, so the child is
// made on first use, with the same bindings and options fastify would have given it.
import type { FastifyBaseLogger } from 'fastify';

type ChildArgs = Parameters<FastifyBaseLogger['child']>;
type LogArgs = Parameters<FastifyBaseLogger['info']>;

class LazyRequestLogger {
  readonly #parent: FastifyBaseLogger;
  readonly #bindings: ChildArgs[0];
  readonly #opts: ChildArgs[1];
  #child: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: ChildArgs[0], opts: ChildArgs[1]) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#opts = opts;
  }

  get #log(): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings, this.#opts);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.#opts?.level ?? this.#parent.level;
  }
  set level(level: string) {
    this.#log.level = level;
  }
  fatal(...args: LogArgs): void {
    this.#log.fatal(...args);
  }
  error(...args: LogArgs): void {
    this.#log.error(...args);
  }
  warn(...args: LogArgs): void {
    this.#log.warn(...args);
  }
  info(...args: LogArgs): void {
    this.#log.info(...args);
  }
  debug(...args: LogArgs): void {
    this.#log.debug(...args);
  }
  trace(...args: LogArgs): void {
    this.#log.trace(...args);
  }
  silent(...args: LogArgs): void {
    this.#log.silent(...args);
  }
  child(...args: ChildArgs): FastifyBaseLogger {
    return this.#log.child(...args);
  }
}

/** fastify's `childLoggerFactory`. */
export function lazyRequestLogger(
  parent: FastifyBaseLogger,
  bindings: ChildArgs[0],
  opts: ChildArgs[1],
): FastifyBaseLogger {
  return new LazyRequestLogger(parent, bindings, opts) as unknown as FastifyBaseLogger;
}
