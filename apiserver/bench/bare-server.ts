// The baseline: a bare fastify HTTPS server with the apiserver's TLS setup (HTTP/2 + HTTP/1.1 by
// ALPN, TLS 1.2+, client certificates requested against the same CA, no session tickets) answering every GET with the
// exact bytes the apiserver returned for the benchmarked ConfigMap.
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fastify from 'fastify';

const [certFile, keyFile, caFile, bodyFile, portArg] = process.argv.slice(2);
const body = readFileSync(bodyFile!);
const app = fastify({
  http2: true,
  https: {
    allowHTTP1: true,
    cert: readFileSync(certFile!),
    key: readFileSync(keyFile!),
    ca: readFileSync(caFile!),
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    secureOptions: constants.SSL_OP_NO_TICKET,
  },
  logger: false,
});
app.get('/*', (_req, reply) => {
  reply.header('content-type', 'application/json').send(body);
});
await app.listen({ port: Number(portArg), host: '127.0.0.1' });
process.stdout.write('ready\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
