// --tls-sni-cert-key: which serving certificate a connection gets, as kube-apiserver's
// dynamiccertificates GetConfigForClient picks it. A ClientHello with a server name gets the
// certificate for that name (its SANs, or the names given on the flag), else the default
// (--tls-cert-file). One without a server name — clients dialling an IP send none — gets the
// certificate named by the local address it reached, when one is, else the default.
import type { Socket } from 'node:net';
import { createSecureContext, type SecureContext, type Server as TlsServer } from 'node:tls';
import type { Logger } from '@mkube/shared/log';
import { canonicalIp } from '@mkube/shared/net';
import { lookupServerName, nameIndex, serverTLSOptions } from '@mkube/shared/tls';
import type { ServingConfig } from '../config/config.js';

export interface SniSelection {
  readonly SNICallback?: (name: string, cb: (e: Error | null, c?: SecureContext) => void) => void;
  /** Makes connections without a server name get the certificate of the address they reached. */
  install(server: TlsServer): void;
  /** New handshakes use a reloaded default certificate or client CA bundle (the SNI pairs stay). */
  update(serving: { certPem: string; keyPem: string }, clientCAPem: string | undefined): void;
}

const connectionListener = 'connection';

export function sniSelection(deps: { serving: ServingConfig; clientCAPem?: string; log: Logger }): SniSelection {
  const { sniCertificates, tls } = deps.serving;
  if (sniCertificates.length === 0) return { install: () => {}, update: () => {} };
  let clientCAPem = deps.clientCAPem;
  const context = (certPem: string, keyPem: string) =>
    createSecureContext({ cert: certPem, key: keyPem, ca: clientCAPem, ...serverTLSOptions(tls) });
  let contexts = new Map(sniCertificates.map((c) => [c, context(c.certPem, c.keyPem)]));
  const index = nameIndex(sniCertificates);
  let byIp = new Map<string, SecureContext>();
  const indexByIp = () => {
    byIp = new Map();
    for (const c of sniCertificates) {
      for (const n of c.servedNames) {
        const ip = canonicalIp(n);
        // The first certificate naming an address wins, as the first to claim a name does.
        if (ip && !byIp.has(ip)) byIp.set(ip, contexts.get(c)!);
      }
    }
  };
  indexByIp();
  for (const c of sniCertificates) {
    deps.log.info({ certFile: c.certFile, names: c.servedNames }, 'loaded SNI serving certificate');
  }
  // Once a connection started with an address's certificate, a server name that matches nothing
  // must still get the default, so the default is a context of its own here.
  let fallback = byIp.size > 0 ? context(deps.serving.certPem, deps.serving.keyPem) : undefined;
  return {
    SNICallback: (name, cb) => {
      const c = lookupServerName(index, name);
      cb(null, c ? contexts.get(c) : fallback);
    },
    update(serving, caPem) {
      if (caPem !== clientCAPem) {
        clientCAPem = caPem;
        contexts = new Map(sniCertificates.map((c) => [c, context(c.certPem, c.keyPem)]));
        indexByIp();
      }
      if (fallback) fallback = context(serving.certPem, serving.keyPem);
    },
    install(server) {
      if (byIp.size === 0) return;
      // Node's TLS server builds each connection's TLSSocket, synchronously, from its shared
      // context: the address's context stands in for it while that one connection is set up.
      const shared = server as unknown as { _sharedCreds?: SecureContext };
      if (typeof shared._sharedCreds !== 'object') {
        deps.log.warn('this Node.js has no per-connection TLS context: SNI certificates are not matched by IP');
        return;
      }
      const original = server.listeners(connectionListener) as ((s: Socket) => void)[];
      server.removeAllListeners(connectionListener);
      server.on(connectionListener, (socket: Socket) => {
        const local = socket.localAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
        const ip = local ? canonicalIp(local) : undefined;
        const ctx = ip ? byIp.get(ip) : undefined;
        const saved = shared._sharedCreds;
        if (ctx) shared._sharedCreds = ctx;
        try {
          for (const l of original) l.call(server, socket);
        } finally {
          shared._sharedCreds = saved;
        }
      });
    },
  };
}
