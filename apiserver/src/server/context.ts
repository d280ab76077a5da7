// What the REST layer receives for one resource request, after the handler chain has run.
import type { UserInfo } from '@mkube/shared/auth';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResourceDef } from '../registry/catalog.js';
import type { RequestInfo } from '../request/requestinfo.js';

export interface ResourceRequestContext {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly info: RequestInfo;
  readonly user: UserInfo;
  /** The raw body (any content type); undefined when the request had none. */
  readonly body: Buffer | undefined;
  readonly def: ResourceDef;
  /** Aborted when the server begins shutting down: long-running requests (watches) end. */
  readonly shutdownSignal: AbortSignal;
}

export type ResourceHandler = (ctx: ResourceRequestContext) => Promise<void>;
