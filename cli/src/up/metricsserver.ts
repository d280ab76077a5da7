// metrics-server as an add-on, the way its components.yaml installs it, with one difference for a
// process outside the cluster: its identity is a client certificate from the cluster CA (user
// system:metrics-server) instead of a ServiceAccount token. On a routable address its Service has
// Endpoints naming that address (kube-apiserver with --enable-aggregator-routing); on loopback, which
// no Endpoints object may name, the Service is an ExternalName for localhost (the aggregator dials it
// by name when --enable-aggregator-routing is off). The serving certificate is signed by the cluster
// CA for metrics-server.kube-system.svc, and the APIService carries that CA — not
// insecureSkipTLSVerify, as the upstream manifest does.
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type {
  APIService,
  ClusterRole,
  ClusterRoleBinding,
  Endpoints,
  KubeObject,
  RoleBinding,
  Service,
} from '@mkube/shared/api';
import { isAlreadyExists } from '@mkube/shared/apierrors';
import type { KubeClient, ResourceRef } from '@mkube/shared/client';
import { buildKubeconfig, writeKubeconfig } from '@mkube/shared/kubeconfig';
import { encodePrivateKeyPem, generateKeyPair, type KeyType, verifyCertificate } from '@mkube/shared/pki';
import { loadCa, loadPair, type PkiDir, writePair } from '../pki/files.js';
import { CLUSTER_NAME, LEAF_VALIDITY_MS } from '../pki/specs.js';

export const METRICS_SERVER_USER = 'system:metrics-server';
const SERVING = 'metrics-server';
const NS = 'kube-system';
const RBAC = 'rbac.authorization.k8s.io';
/** Renewed when less than this is left, as the kubelet rotates at about 70–90 % of a certificate's life. */
const RENEW_BEFORE_MS = 30 * 24 * 3600_000;

/** Whether the add-on's Service must be an ExternalName (an address no Endpoints object may hold). */
export const isLoopback = (address: string) => address === '::1' || address.startsWith('127.');

/**
 * The serving pair (pki/metrics-server.{crt,key}) and metrics-server.conf, made or renewed as needed
 * (also when the pair does not name `address`).
 */
export async function ensureMetricsServerCredentials(
  pki: PkiDir,
  dataDir: string,
  server: string,
  keyType: KeyType,
  log: (line: string) => void,
  address = '127.0.0.1',
): Promise<{ kubeconfig: string; certFile: string; keyFile: string }> {
  const ips = [...new Set(['127.0.0.1', address])].filter((a) => isIP(a));
  const ca = await loadCa(pki, 'ca');
  const now = new Date();
  let fresh = false;
  if (existsSync(pki.crtPath(SERVING)) && existsSync(pki.keyPath(SERVING))) {
    const { cert } = await loadPair(pki, SERVING);
    const ok = verifyCertificate(cert, { roots: [ca.certificate], now }).ok;
    fresh =
      ok &&
      cert.notAfter.getTime() - now.getTime() > RENEW_BEFORE_MS &&
      ips.every((ip) => cert.ipAddresses.includes(ip));
  }
  if (!fresh) {
    const key = await generateKeyPair(keyType);
    const issued = ca.issue({
      subject: { commonName: 'metrics-server' },
      dnsNames: [`metrics-server.${NS}.svc`, `metrics-server.${NS}.svc.cluster.local`, 'localhost'],
      ipAddresses: ips,
      publicKey: key.publicKey,
      usages: ['digital signature', 'key encipherment', 'server auth'],
      ttlMs: LEAF_VALIDITY_MS,
      now,
    });
    await writePair(pki, SERVING, issued.pem, encodePrivateKeyPem(key));
    log(`[metrics-server] serving certificate for metrics-server.${NS}.svc signed by the cluster CA`);
  }
  const kubeconfig = join(dataDir, 'metrics-server.conf');
  if (!existsSync(kubeconfig) || !fresh) {
    const key = await generateKeyPair(keyType);
    const issued = ca.issue({
      subject: { commonName: METRICS_SERVER_USER },
      publicKey: key.publicKey,
      usages: ['digital signature', 'key encipherment', 'client auth'],
      ttlMs: LEAF_VALIDITY_MS,
      now,
    });
    await writeKubeconfig(
      kubeconfig,
      buildKubeconfig({
        clusterName: CLUSTER_NAME,
        server,
        caPem: ca.certPem,
        userName: METRICS_SERVER_USER,
        clientCertPem: issued.pem,
        clientKeyPem: encodePrivateKeyPem(key),
      }),
    );
  }
  return { kubeconfig, certFile: pki.crtPath(SERVING), keyFile: pki.keyPath(SERVING) };
}

const user = [{ apiGroup: RBAC, kind: 'User', name: METRICS_SERVER_USER }];

/** components.yaml's RBAC, Service (and Endpoints) and APIService, for a metrics-server at address:port. */
export function metricsServerObjects(port: number, caPem: string, address = '127.0.0.1'): [ResourceRef, KubeObject][] {
  const loopback = isLoopback(address);
  const services = { group: '', version: 'v1', resource: 'services', namespace: NS };
  const cr = { group: RBAC, version: 'v1', resource: 'clusterroles' };
  const crb = { group: RBAC, version: 'v1', resource: 'clusterrolebindings' };
  const labels = { 'k8s-app': 'metrics-server' };
  return [
    [
      cr,
      {
        apiVersion: `${RBAC}/v1`,
        kind: 'ClusterRole',
        metadata: {
          name: 'system:aggregated-metrics-reader',
          labels: {
            ...labels,
            'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
            'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
            'rbac.authorization.k8s.io/aggregate-to-view': 'true',
          },
        },
        rules: [{ apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] }],
      } as ClusterRole,
    ],
    [
      cr,
      {
        apiVersion: `${RBAC}/v1`,
        kind: 'ClusterRole',
        metadata: { name: 'system:metrics-server', labels },
        rules: [
          { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
          { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
        ],
      } as ClusterRole,
    ],
    [
      { group: RBAC, version: 'v1', resource: 'rolebindings', namespace: NS },
      {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: { name: 'metrics-server-auth-reader', namespace: NS, labels },
        roleRef: { apiGroup: RBAC, kind: 'Role', name: 'extension-apiserver-authentication-reader' },
        subjects: user,
      } as RoleBinding,
    ],
    [
      crb,
      {
        apiVersion: `${RBAC}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: { name: 'metrics-server:system:auth-delegator', labels },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'system:auth-delegator' },
        subjects: user,
      } as ClusterRoleBinding,
    ],
    [
      crb,
      {
        apiVersion: `${RBAC}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: { name: 'system:metrics-server', labels },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'system:metrics-server' },
        subjects: user,
      } as ClusterRoleBinding,
    ],
    ...(loopback
      ? ([
          [
            services,
            {
              apiVersion: 'v1',
              kind: 'Service',
              metadata: { name: 'metrics-server', namespace: NS, labels },
              spec: {
                type: 'ExternalName',
                externalName: 'localhost',
                ports: [{ name: 'https', port, protocol: 'TCP' }],
              },
            } as Service,
          ],
        ] as [ResourceRef, KubeObject][])
      : ([
          [
            services,
            {
              apiVersion: 'v1',
              kind: 'Service',
              metadata: { name: 'metrics-server', namespace: NS, labels },
              spec: { ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }] },
            } as Service,
          ],
          [
            { group: '', version: 'v1', resource: 'endpoints', namespace: NS },
            {
              apiVersion: 'v1',
              kind: 'Endpoints',
              metadata: { name: 'metrics-server', namespace: NS, labels },
              subsets: [{ addresses: [{ ip: address }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
            } as Endpoints,
          ],
        ] as [ResourceRef, KubeObject][])),
    [
      { group: 'apiregistration.k8s.io', version: 'v1', resource: 'apiservices' },
      {
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: 'v1beta1.metrics.k8s.io', labels },
        spec: {
          group: 'metrics.k8s.io',
          version: 'v1beta1',
          // ExternalName: the port is dialled as given; otherwise the Service's 443 maps to the endpoint.
          service: { namespace: NS, name: 'metrics-server', port: loopback ? port : 443 },
          caBundle: Buffer.from(caPem).toString('base64'),
          groupPriorityMinimum: 100,
          versionPriority: 100,
        },
      } as APIService,
    ],
  ];
}

/** Creates each object, or replaces what is there (a new port, address or CA), as `kubectl apply` would end up. */
export async function applyMetricsServerObjects(
  admin: KubeClient,
  port: number,
  caPem: string,
  address = '127.0.0.1',
): Promise<void> {
  for (const [ref, obj] of metricsServerObjects(port, caPem, address)) {
    const r = admin.resource<KubeObject>(ref);
    try {
      await r.create(obj);
      continue;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    const cur = await r.get(obj.metadata.name ?? '');
    if (obj.kind === 'Service') {
      // A Service changing type (loopback ↔ routable) is made again; otherwise it keeps its cluster IP.
      const was = (cur as Service).spec?.type ?? 'ClusterIP';
      const is = (obj as Service).spec?.type ?? 'ClusterIP';
      if (was !== is) {
        await r.delete(obj.metadata.name ?? '');
        await r.create(obj);
        continue;
      }
      const old = (cur as Service).spec;
      const spec = { ...(obj as Service).spec, clusterIP: old?.clusterIP, clusterIPs: old?.clusterIPs };
      await r.update({
        ...obj,
        metadata: { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion },
        spec,
      } as Service);
      continue;
    }
    await r.update({ ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion } });
  }
}
