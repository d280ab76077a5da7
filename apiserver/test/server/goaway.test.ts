// --goaway-chance: a fraction of HTTP/2 requests end their connection with a GOAWAY (so clients
// behind a load balancer move between apiservers); the request that drew it and its client's
// next ones all succeed — with Node's own HTTP/2 client, mkube's client and the real kubectl. Off
// by default; more than upstream's 0.02 is refused at start.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@mkube/shared/client';
import { parseFlags } from '@mkube/shared/flags';
import { APISERVER_FLAGS, loadApiServerConfig } from '../../src/main.ts';
import { type Fixture, kubectl, serverArgs, startFixture } from './fixture.ts';

const REQUESTS = 600;

/** GET /version REQUESTS times in turn over Node's HTTP/2 client, redialling after each GOAWAY. */
async function sequentialGets(fx: Fixture): Promise<{ codes: number[]; goaways: number }> {
  const tls = {
    ca: readFileSync(fx.pki.caCrt),
    cert: readFileSync(fx.pki.adminCrt),
    key: readFileSync(fx.pki.adminKey),
  };
  let goaways = 0;
  let session = connect(fx.url, tls);
  const codes: number[] = [];
  try {
    for (let i = 0; i < REQUESTS; i++) {
      if (session.closed || session.destroyed) session = connect(fx.url, tls);
      const s = session;
      s.once('goaway', () => goaways++);
      const code = await new Promise<number>((resolve, reject) => {
        const req = s.request({ ':path': '/version' });
        let status = 0;
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('error', reject);
        req.resume();
        req.on('end', () => resolve(status));
      });
      s.removeAllListeners('goaway');
      codes.push(code);
    }
  } finally {
    session.close();
  }
  return { codes, goaways };
}

describe('--goaway-chance', { timeout: 120_000 }, () => {
  let on: Fixture;
  let off: Fixture;
  before(async () => {
    [on, off] = await Promise.all([startFixture(['--goaway-chance=0.02']), startFixture([])]);
  });
  after(async () => Promise.all([on?.close(), off?.close()]));

  it('sends GOAWAY after about one request in fifty; each request still gets its answer', async () => {
    const r = await sequentialGets(on);
    assert.equal(r.codes.length, REQUESTS);
    assert.ok(
      r.codes.every((c) => c === 200),
      `not all 200: ${[...new Set(r.codes)]}`,
    );
    // Binomial(600, 0.02): 12 expected; none at all has probability 5e-6.
    assert.ok(r.goaways >= 1 && r.goaways <= 40, `${r.goaways} GOAWAYs in ${REQUESTS} requests`);
  });

  it('mkube’s client and kubectl ride through it', async () => {
    const client = createClient({
      server: on.url,
      caPem: readFileSync(on.pki.caCrt, 'utf8'),
      clientCertPem: readFileSync(on.pki.adminCrt, 'utf8'),
      clientKeyPem: readFileSync(on.pki.adminKey, 'utf8'),
    });
    try {
      // Eight at a time, so GOAWAYs land while other streams are open on the connection.
      for (let i = 0; i < REQUESTS; i += 8) {
        const got = await Promise.all(
          Array.from({ length: 8 }, () => client.request<{ gitVersion: string }>('GET', '/version')),
        );
        for (const v of got) assert.match(v.gitVersion, /^v1\./);
      }
    } finally {
      await client.close();
    }
    for (let i = 0; i < 5; i++) {
      const k = await kubectl(on, ['get', 'namespaces', '-o', 'name']);
      assert.equal(k.status, 0, k.err);
      assert.match(k.out, /namespace\/default/);
    }
  });

  it('is off by default: one connection serves them all', async () => {
    const r = await sequentialGets(off);
    assert.equal(r.goaways, 0);
  });

  it('refuses a chance below 0 or above 0.02, as upstream', () => {
    for (const bad of ['0.03', '-0.01']) {
      const f = parseFlags(APISERVER_FLAGS, serverArgs(on.pki, '/nonexistent', [`--goaway-chance=${bad}`]));
      assert.throws(
        () => loadApiServerConfig(f.flags, f.given),
        /--goaway-chance: can not be less than 0 or greater than 0\.02/,
      );
    }
  });
});
