// The CSR admission plugins (plugin/pkg/admission/certificates, facts §2): approving needs verb
// `approve` and signing needs verb `sign` on the resource `signers` named after the CSR's signer (or
// `<domain>/*`); the kube-apiserver-client signer may not be asked for a system:masters identity.
// ClusterTrustBundleAttest: tying a ClusterTrustBundle to a signer needs verb `attest` on it.

import { isDeepStrictEqual } from 'node:util';
import type { CertificateSigningRequest, ClusterTrustBundle, KubeObject } from '@mkube/shared/api';
import { newForbidden } from '@mkube/shared/apierrors';
import type { Authorizer, UserInfo } from '@mkube/shared/auth';
import type { FeatureGate } from '@mkube/shared/featuregate';
import { parseCsrPem } from '@mkube/shared/pki';
import type { AdmissionAttributes, AdmissionPlugin } from '../types.js';

const GROUP = 'certificates.k8s.io';
const CSR_GR = { group: GROUP, resource: 'certificatesigningrequests' };
const API_SERVER_CLIENT = 'kubernetes.io/kube-apiserver-client';

const isCsr = (a: AdmissionAttributes) => a.group === GROUP && a.resource === 'certificatesigningrequests';

/** Allowed for the signer by name, or for every signer of its domain (`example.com/*`). */
export async function mayActOnSigner(
  authorizer: Authorizer,
  user: UserInfo,
  verb: 'approve' | 'sign' | 'attest',
  signerName: string,
): Promise<boolean> {
  const domain = signerName.split('/')[0];
  for (const name of [signerName, `${domain}/*`]) {
    const r = await authorizer.authorize({
      user,
      verb,
      isResourceRequest: true,
      path: '',
      namespace: '',
      apiGroup: GROUP,
      apiVersion: '*',
      resource: 'signers',
      subresource: '',
      name,
    });
    if (r.decision === 'Allow') return true;
  }
  return false;
}

export function certificateApproval(authorizer: Authorizer): AdmissionPlugin {
  return {
    name: 'CertificateApproval',
    handles: (op) => op === 'UPDATE',
    async validate(a) {
      if (!isCsr(a) || a.subresource !== 'approval') return;
      const signer = (a.oldObject as CertificateSigningRequest).spec.signerName;
      if (!(await mayActOnSigner(authorizer, a.user, 'approve', signer))) {
        throw newForbidden(
          CSR_GR,
          a.name,
          `user not permitted to approve requests with signerName ${JSON.stringify(signer)}`,
        );
      }
    },
  };
}

export function certificateSigning(authorizer: Authorizer): AdmissionPlugin {
  return {
    name: 'CertificateSigning',
    handles: (op) => op === 'UPDATE',
    async validate(a) {
      if (!isCsr(a) || a.subresource !== 'status') return;
      const next = a.object as CertificateSigningRequest;
      const old = a.oldObject as CertificateSigningRequest;
      // Only a change of certificate or conditions is signing; other status writes pass.
      if (
        next.status?.certificate === old.status?.certificate &&
        isDeepStrictEqual(next.status?.conditions ?? [], old.status?.conditions ?? [])
      )
        return;
      if (!(await mayActOnSigner(authorizer, a.user, 'sign', old.spec.signerName))) {
        throw newForbidden(
          CSR_GR,
          a.name,
          `user not permitted to sign requests with signerName ${JSON.stringify(old.spec.signerName)}`,
        );
      }
    },
  };
}

export const certificateSubjectRestriction: AdmissionPlugin = {
  name: 'CertificateSubjectRestriction',
  handles: (op) => op === 'CREATE',
  async validate(a) {
    if (!isCsr(a)) return;
    const csr = a.object as CertificateSigningRequest;
    if (csr.spec?.signerName !== API_SERVER_CLIENT || !csr.spec.request) return;
    let orgs: readonly string[];
    try {
      orgs = parseCsrPem(Buffer.from(csr.spec.request, 'base64')).subject.organizations;
    } catch {
      return; // validation reports an unparseable request
    }
    if (orgs.includes('system:masters')) {
      throw newForbidden(CSR_GR, a.name, `use of ${API_SERVER_CLIENT} signer with system:masters group is not allowed`);
    }
  },
};

const CTB_GR = { group: GROUP, resource: 'clustertrustbundles' };

/**
 * rbac.IsOnlyMutatingGCFields: an update that changes nothing but ownerReferences and finalizers
 * (the garbage collector's and storage migration's writes) needs no attest check.
 */
function onlyGCFieldsChanged(next: KubeObject, old: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const { ownerReferences: _o, finalizers: _f, resourceVersion: _r, managedFields: _m, ...meta } = o.metadata ?? {};
    return { ...o, metadata: meta };
  };
  return isDeepStrictEqual(strip(next), strip(old));
}

export function clusterTrustBundleAttest(authorizer: Authorizer, gates: FeatureGate): AdmissionPlugin {
  return {
    name: 'ClusterTrustBundleAttest',
    handles: (op) => gates.enabled('ClusterTrustBundle') && (op === 'CREATE' || op === 'UPDATE'),
    async validate(a) {
      if (a.group !== GROUP || a.resource !== 'clustertrustbundles' || a.subresource) return;
      // The new object is the one to check: validation refuses a change of signer name.
      const signer = (a.object as ClusterTrustBundle).spec?.signerName;
      if (!signer) return;
      if (a.operation === 'UPDATE' && onlyGCFieldsChanged(a.object as KubeObject, a.oldObject as KubeObject)) return;
      if (!(await mayActOnSigner(authorizer, a.user, 'attest', signer))) {
        throw newForbidden(CTB_GR, a.name, `user not permitted to attest for signerName ${JSON.stringify(signer)}`);
      }
    },
  };
}
