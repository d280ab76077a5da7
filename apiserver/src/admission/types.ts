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
  /**
   * A CREATE whose name was drawn from metadata.generateName: the prefix. Upstream's mutating plugins
   * run before the name exists, so admission.NewForbidden names the object by its generateName.
   */
  readonly generatedFrom?: string;
  /** The incoming object (CREATE/UPDATE); mutating plugins may change it in place. */
  readonly object: KubeObject | undefined;
  /** The stored object (UPDATE/DELETE). */
  readonly oldObject: KubeObject | undefined;
  readonly dryRun: boolean;
  /** The request's CreateOptions / UpdateOptions / DeleteOptions (meta.k8s.io/v1), as webhooks get them. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Adds a `Warning` header to the response (webhooks' warnings). */
  readonly addWarning?: (text: string) => void;
  /** Adds an annotation to the request's audit event, when it is audited. */
  readonly addAuditAnnotation?: (key: string, value: string) => void;
  /** Shared by the admission rounds of one request (mutating plugins may ask to be run again). */
  readonly reinvocation?: ReinvocationContext;
}

/**
 * admission.ReinvocationContext: a mutating plugin that changed the object after others ran asks
 * for one more round; in that round (isReinvoke) every mutating plugin runs again, and each keeps
 * its own state under its name.
 */
export class ReinvocationContext {
  isReinvoke = false;
  shouldReinvoke = false;
  readonly #values = new Map<string, unknown>();

  value<T>(key: string, make: () => T): T {
    if (!this.#values.has(key)) this.#values.set(key, make());
    return this.#values.get(key) as T;
  }
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

/**
 * Runs every enabled plugin that handles the operation: all admits, then all validates. When a
 * plugin asked for reinvocation, the admits run once more (upstream's reinvoker: at most twice).
 */
export function admissionChain(plugins: readonly AdmissionPlugin[]): Admission {
  return {
    async admit(a) {
      for (const p of plugins) if (p.admit && p.handles(a.operation)) await p.admit(a);
      const r = a.reinvocation;
      if (r?.shouldReinvoke && !r.isReinvoke) {
        r.isReinvoke = true;
        for (const p of plugins) if (p.admit && p.handles(a.operation)) await p.admit(a);
      }
    },
    async validate(a) {
      for (const p of plugins) if (p.validate && p.handles(a.operation)) await p.validate(a);
    },
  };
}

export const NO_ADMISSION: Admission = { admit: async () => {}, validate: async () => {} };
