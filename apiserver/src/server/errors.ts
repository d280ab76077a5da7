// Every error answer is a metav1.Status, including fastify's own (bad body, 404 route, 413, media type).
import {
  newBadRequest,
  newRequestEntityTooLarge,
  newUnsupportedMediaType,
  type Status,
  StatusError,
  toStatusError,
} from '@mkube/shared/apierrors';
import type { FastifyReply } from 'fastify';

export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

/** The body of kube-apiserver's 404 for a path nothing serves (go-restful / NotFoundHandler). */
export function notFoundStatus(): Status {
  return {
    ...new StatusError('NotFound', 'the server could not find the requested resource').toStatus(),
    details: {},
  };
}

/** go-restful's answer to a method a path has no route for (kube-apiserver's serviceErrorHandler). */
export function methodNotAllowedStatus(): Status {
  return {
    ...new StatusError(
      'MethodNotAllowed',
      'the server does not allow this method on the requested resource',
    ).toStatus(),
    details: {},
  };
}

/** Fastify's coded errors → Kubernetes errors; anything else → InternalError. */
export function fromFastifyError(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return newRequestEntityTooLarge(`limit is ${MAX_REQUEST_BODY_BYTES}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? newUnsupportedMediaType('')
        : newBadRequest((err as Error).message);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return newBadRequest((err as Error).message);
  }
  const status = (err as { statusCode?: number }).statusCode;
  if (status === 413) return newRequestEntityTooLarge(`limit is ${MAX_REQUEST_BODY_BYTES}`);
  if (status !== undefined && status >= 400 && status < 500) return newBadRequest((err as Error).message);
  return toStatusError(err);
}

export function sendStatus(reply: FastifyReply, status: Status): void {
  reply
    .code(status.code ?? 500)
    .header('content-type', 'application/json')
    .send(JSON.stringify(status));
}
