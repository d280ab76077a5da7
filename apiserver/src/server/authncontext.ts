// What authentication adds to a request (upstream: audit annotations and warnings on the request's
// context): gathered while the chain runs, then put on the audit event and the response.
import type { AuthenticationContext } from '@mkube/shared/auth';
import type { FastifyReply } from 'fastify';
import { appendWarnings, warningHeaderValue } from './warnings.js';

const NONE: readonly (readonly [string, string])[] = [];

/** One per request: nothing is allocated unless an authenticator adds something (a legacy token's use). */
export class AuthenticationRecord implements AuthenticationContext {
  #annotations?: [string, string][];
  #warnings?: Set<string>;

  addAuditAnnotation(key: string, value: string): void {
    this.#annotations ??= [];
    this.#annotations.push([key, value]);
  }

  addWarning(text: string): void {
    const value = warningHeaderValue(text);
    if (!value) return;
    this.#warnings ??= new Set();
    this.#warnings.add(value);
  }

  /** For the audit event, a failed authentication's included (auditRequest). */
  get annotations(): readonly (readonly [string, string])[] {
    return this.#annotations ?? NONE;
  }

  /** Whatever the chain decided, the warnings go out with the response. */
  sendWarnings(reply: FastifyReply): void {
    if (this.#warnings) appendWarnings(reply, [...this.#warnings]);
  }
}
