// The TLS peer's certificate chain of a fastify request (the shared reader, typed for fastify).
import type { TLSSocket } from 'node:tls';
import { peerCertificatesOf, tlsSocketOfRaw } from '@mkube/shared/auth';
import type { FastifyRequest } from 'fastify';

export function tlsSocketOf(request: FastifyRequest): TLSSocket | undefined {
  return tlsSocketOfRaw(request.raw);
}

export function peerCertificates(request: FastifyRequest): readonly Buffer[] {
  return peerCertificatesOf(request.raw);
}
