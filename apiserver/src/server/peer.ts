// The TLS peer's certificate chain of a fastify request (the shared reader, typed for fastify).
import type { TLSSocket } from 'node:tls';
import { peerCertificatesOf, peerLeafOf, tlsSocketOfRaw } from '@mkube/shared/auth';
import type { FastifyRequest } from 'fastify';

export function tlsSocketOf(request: FastifyRequest): TLSSocket | undefined {
  return tlsSocketOfRaw(request.raw);
}

export function peerCertificates(request: FastifyRequest): readonly Buffer[] {
  return peerCertificatesOf(request.raw);
}

/** The peer's leaf alone, cheaply (the authenticators ask for the chain when they need it). */
export function peerLeaf(request: FastifyRequest): readonly Buffer[] {
  return peerLeafOf(request.raw);
}
