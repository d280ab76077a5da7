// The secure port as any component built on k8s.io/apiserver's delegated auth puts it together
// (kube-controller-manager and kube-scheduler, each passing in what is its own): the client CA and
// front-proxy settings kept current (files reloaded, or the published ConfigMap watched),
// TokenReview and SubjectAccessReview clients, the health checks, /metrics and /configz from the
// caller, pprof with --profiling, and the serving pair reloaded when its files change.
import { createClient, type KubeClient } from '@mkube/shared/client';
import { Verbosity } from '@mkube/shared/debugflags';
import { clientOptionsFrom, type ResolvedCredentials } from '@mkube/shared/kubeconfig';
import type { Logger } from '@mkube/shared/log';
import { type ParsedCertificate, parseCertificatesPem } from '@mkube/shared/pki';
import { processProfiler } from '@mkube/shared/pprof';
import { dynamicCABundle, dynamicCertKeyPair } from '@mkube/shared/tls';
import type { SecureServingConfig } from '../options/serving.js';
import { type ApiHandler, type HealthCheck, type SecureServer, startSecureServer } from './app.js';
import { delegatingAuthenticator, delegatingAuthorizer } from './auth.js';
import { ConfigMapAuthenticationInfo, type RequestHeaderInfo } from './clientca.js';

export interface DelegatedServingOptions {
  readonly log: Logger;
  /** The delegated-auth clients' user agent, e.g. `kube-scheduler/v1.33.0 (mkube) delegated-auth`. */
  readonly userAgent: string;
  readonly checks: readonly HealthCheck[];
  readonly metrics: () => string;
  readonly configz: () => unknown;
  /** --profiling: /debug/pprof and /debug/flags/v. */
  readonly profiling: boolean;
  readonly verbosity: number;
  /** An API served beside the fixed paths, authorized by its resource attributes. */
  readonly api?: ApiHandler;
}

export async function serveDelegated(s: SecureServingConfig, o: DelegatedServingOptions): Promise<SecureServer> {
  const clients: KubeClient[] = [];
  const clientFor = (creds: ResolvedCredentials | undefined): (() => KubeClient) | undefined => {
    if (!creds) return undefined;
    const c = createClient({ ...clientOptionsFrom(creds), userAgent: o.userAgent, logger: o.log });
    clients.push(c);
    return () => c;
  };
  const log = o.log.child({ component: 'secure-serving' });
  log.info({ certificate: s.certSource }, 'secure serving certificate');
  for (const w of s.tls.warnings) log.warn(w);
  if (!s.authentication) log.warn('no --authentication-kubeconfig: bearer tokens are not checked');
  if (!s.authorization) log.warn('no --authorization-kubeconfig: every path not always allowed is forbidden');
  const authnClient = clientFor(s.authentication?.credentials);
  const stopWatch = new AbortController();
  const dynamicLog = log.child({ component: 'dynamic-certificates' });
  const watchedBundle = (name: string, flag: string, file: string, pem: string) => {
    const bundle = dynamicCABundle(name, { flag, file }, { pem, certs: parseCertificatesPem(pem) }, dynamicLog);
    bundle.run(stopWatch.signal);
    return {
      get roots(): readonly ParsedCertificate[] {
        return bundle.current.certs;
      },
    };
  };
  const fromConfigMap =
    (s.clientCAFromConfigMap || s.requestHeaderFromConfigMap) && authnClient && s.authenticationInfo
      ? new ConfigMapAuthenticationInfo(
          s.authenticationInfo,
          { clientCA: !!s.clientCAFromConfigMap, requestHeader: !!s.requestHeaderFromConfigMap },
          log,
        )
      : undefined;
  fromConfigMap?.run(authnClient!(), stopWatch.signal);
  let requestHeader: (() => RequestHeaderInfo | undefined) | undefined;
  if (s.requestHeaderFromConfigMap && fromConfigMap) {
    requestHeader = () => fromConfigMap.requestHeader;
  } else if (s.requestHeader) {
    const rh = s.requestHeader;
    const bundle = watchedBundle('request-header', 'requestheader-client-ca-file', rh.caFile, rh.caPem);
    let last: RequestHeaderInfo | undefined;
    requestHeader = () => {
      const roots = bundle.roots;
      if (last?.roots !== roots) last = { ...rh, roots };
      return last;
    };
  }
  let clientCA: { readonly roots: readonly ParsedCertificate[] } | undefined;
  if (s.clientCAFromConfigMap && fromConfigMap) clientCA = fromConfigMap;
  else if (s.clientCAFile && s.clientCAPem)
    clientCA = watchedBundle('client-ca-bundle', 'client-ca-file', s.clientCAFile, s.clientCAPem);
  const authenticator = delegatingAuthenticator(s, authnClient, clientCA, requestHeader);
  const authorizer = delegatingAuthorizer(s, clientFor(s.authorization?.credentials));
  const profiler = o.profiling ? processProfiler() : undefined;
  void profiler?.start();
  const closeAll = async () => {
    stopWatch.abort();
    await Promise.all(clients.map((c) => c.close({ graceMs: 0 })));
  };
  try {
    const server = await startSecureServer({
      bindAddress: s.bindAddress,
      port: s.port,
      certPem: s.certPem,
      keyPem: s.keyPem,
      tls: s.tls,
      authenticator,
      authorizer,
      checks: o.checks,
      metrics: o.metrics,
      configz: o.configz,
      ...(o.api ? { api: o.api } : {}),
      ...(profiler ? { profiler, verbosity: new Verbosity(o.log, o.verbosity) } : {}),
      log,
    });
    if (s.certFile && s.keyFile) {
      const pair = dynamicCertKeyPair(
        'serving-cert',
        { flag: 'tls-cert-file', file: s.certFile },
        { flag: 'tls-private-key-file', file: s.keyFile },
        { certPem: s.certPem, keyPem: s.keyPem, certs: [] },
        dynamicLog,
      );
      pair.addListener((next) => server.setCertificate(next));
      pair.run(stopWatch.signal);
    }
    return {
      address: server.address,
      port: server.port,
      setCertificate: (pair) => server.setCertificate(pair),
      async close() {
        await server.close();
        await closeAll();
      },
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
