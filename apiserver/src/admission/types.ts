// Admission (k8s.io/apiserver pkg/admission): after authorization, before storage, plugins may
// mutate an object (admit) and then veto the request (validate). Each says which operations it
// handles; a veto is a StatusError (usually Forbidden), which the client receives as is.
import type { KubeObject } from '@mkube/shared/api';
import type { Authorizer, UserInfo } from '@mkube/shared/auth';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  readonly operation: Operation;
  readonly user: UserInfo;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly subresource: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** The incoming object (CREATE/UPDATE); mutating plugins may change it in place. */
  readonly object: KubeObject | undefined;
  /** The stored object (UPDATE/DELETE). */
  readonly oldObject: KubeObject | undefined;
  readonly dryRun: boolean;
}

export interface AdmissionPlugin {
  /** Kubernetes' plugin name, as --enable-admission-plugins spells it. */
  readonly name: string;
  handles(op: Operation): boolean;
  /** Mutating phase: may change `a.object`. */
  admit?(a: AdmissionAttributes): Promise<void>;
  /** Validating phase: throws a StatusError to refuse. */
  validate?(a: AdmissionAttributes): Promise<void>;
}

/** What plugins may consult: the authorizer (CertificateApproval asks it) and the stored objects. */
export interface AdmissionDeps {
  readonly authorizer: Authorizer;
  get(group: string, resource: string, namespace: string, name: string): Promise<KubeObject | undefined>;
}

export interface Admission {
  admit(a: AdmissionAttributes): Promise<void>;
  validate(a: AdmissionAttributes): Promise<void>;
}

/** Runs every enabled plugin that handles the operation: all admits, then all validates. */
export function admissionChain(plugins: readonly AdmissionPlugin[]): Admission {
  return {
    async admit(a) {
      for (const p of plugins) if (p.admit && p.handles(a.operation)) await p.admit(a);
    },
    async validate(a) {
      for (const p of plugins) if (p.validate && p.handles(a.operation)) await p.validate(a);
    },
  };
}

export const NO_ADMISSION: Admission = { admit: async () => {}, validate: async () => {} };
