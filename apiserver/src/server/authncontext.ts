// What authentication adds to a request (upstream: audit annotations and warnings on the request's
// context): gathered while the chain runs, then put on the audit event and the response.
import type { AuthenticationContext } from '@mkube/shared/auth';
import type { FastifyReply } from 'fastify';
import { appendWarnings, warningHeaderValue } from './warnings.js';

export class AuthenticationRecord implements AuthenticationContext {
  readonly #annotations: [string, string][] = [];
  readonly #warnings = new Set<string>();

  addAuditAnnotation(key: string, value: string): void {
    this.#annotations.push([key, value]);
  }

  addWarning(text: string): void {
    const value = warningHeaderValue(text);
    if (value) this.#warnings.add(value);
  }

  /** For the audit event, a failed authentication's included (auditRequest). */
  get annotations(): readonly (readonly [string, string])[] {
    return this.#annotations;
  }

  /** Whatever the chain decided, the warnings go out with the response. */
  sendWarnings(reply: FastifyReply): void {
    appendWarnings(reply, [...this.#warnings]);
  }
}
