// csrapproving (k8s pkg/controller/certificates/approver/sarapprove.go, facts §4): kubelet client
// CSRs are recognised as selfnodeclient (a node renewing its own identity) or nodeclient (a new
// node), and approved when a SubjectAccessReview says the *requester* may create that subresource.
// It never denies: a recognised CSR that is not allowed is retried quietly.
import type { CertificateSigningRequest, SubjectAccessReview } from '@mkube/shared/api';
import { SIGNER } from '@mkube/shared/api';
import { approvalState, isIssued, kubeletClientProblem, withCondition } from '@mkube/shared/certificates';
import type { KubeClient } from '@mkube/shared/client';
import type { EventRecorder } from '@mkube/shared/events';
import type { Logger } from '@mkube/shared/log';
import type { ParsedCsr } from '@mkube/shared/pki';
import { errorSummary } from '@mkube/shared/workqueue';
import { RESOURCES } from '../informers/index.js';
import { IgnorableError } from './controller.js';
import { ParsedCsrCache } from './parsecache.js';

interface Recognizer {
  readonly subresource: 'selfnodeclient' | 'nodeclient';
  readonly message: string;
  recognize(csr: CertificateSigningRequest, req: ParsedCsr): boolean;
}

const isNodeClientCert = (csr: CertificateSigningRequest, req: ParsedCsr): boolean =>
  csr.spec.signerName === SIGNER.kubeAPIServerClientKubelet &&
  kubeletClientProblem(req, csr.spec.usages ?? []) === undefined;

const RECOGNIZERS: readonly Recognizer[] = [
  {
    subresource: 'selfnodeclient',
    message: 'Auto approving self kubelet client certificate after SubjectAccessReview.',
    recognize: (csr, req) => isNodeClientCert(csr, req) && csr.spec.username === req.subject.commonName,
  },
  {
    subresource: 'nodeclient',
    message: 'Auto approving kubelet client certificate after SubjectAccessReview.',
    recognize: isNodeClientCert,
  },
];

export function approvingHandler(
  client: KubeClient,
  recorder: EventRecorder,
  log: Logger,
  csrCache = new ParsedCsrCache(),
): (csr: CertificateSigningRequest) => Promise<void> {
  const csrs = client.resource<CertificateSigningRequest>(RESOURCES.csrs);
  const sars = client.resource<SubjectAccessReview>(RESOURCES.subjectaccessreviews);

  const authorize = async (csr: CertificateSigningRequest, subresource: string): Promise<boolean> => {
    const sar: SubjectAccessReview = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: {
        user: csr.spec.username,
        uid: csr.spec.uid,
        groups: csr.spec.groups,
        extra: csr.spec.extra,
        resourceAttributes: {
          group: 'certificates.k8s.io',
          resource: 'certificatesigningrequests',
          subresource,
          verb: 'create',
        },
      },
    };
    const res = await sars.create(sar);
    return res.status?.allowed === true;
  };

  return async (csr) => {
    const { approved, denied } = approvalState(csr);
    if (approved || denied || isIssued(csr)) return;
    let req: ParsedCsr;
    try {
      req = csrCache.parse(csr);
    } catch (err) {
      // The apiserver validated the request on create; one that does not parse will never parse.
      log.warn({ csr: csr.metadata?.name, err: errorSummary(err) }, 'unable to parse csr');
      return;
    }
    const tried: string[] = [];
    for (const r of RECOGNIZERS) {
      if (!r.recognize(csr, req)) continue;
      tried.push(r.subresource);
      if (!(await authorize(csr, r.subresource))) continue;
      const next = withCondition(csr, 'Approved', 'AutoApproved', r.message);
      const updated = await csrs.updateSubresource(csr.metadata!.name!, 'approval', next);
      // Upstream's sarapprove records no Event; mkube records one, so `kubectl describe csr` shows an
      // approval beside the denials and signing failures that have theirs.
      recorder.event(updated, 'Normal', 'AutoApproved', r.message);
      log.debug({ csr: csr.metadata?.name, as: r.subresource }, 'approved');
      return;
    }
    if (tried.length > 0) {
      throw new IgnorableError(
        `recognized csr ${JSON.stringify(csr.metadata?.name)} as [${tried.join(' ')}] but subject access review was not approved`,
      );
    }
  };
}
