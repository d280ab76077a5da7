// The /scale subresource of Deployments, ReplicaSets, StatefulSets and core/v1 ReplicationControllers
// (upstream's ScaleREST in pkg/registry/apps/*/storage and core/replicationcontroller/storage): an
// autoscaling/v1 Scale view of the parent, whose writes change only
// the parent's spec.replicas. Admission sees the Scale (subresource `scale`); the parent is then
// written through its own strategy (defaults, validation, a new generation), as upstream's store.
import type { KubeObject, LabelSelector, Scale } from '@mkube/shared/api';
import {
  type FieldError,
  fieldErrors,
  isConflict,
  newBadRequest,
  newConflict,
  newInvalid,
  OBJECT_MODIFIED,
} from '@mkube/shared/apierrors';
import { labelSelectorFromObject, labelSelectorFromSet } from '@mkube/shared/selectors';
import { type Admission, type AdmissionAttributes, NO_ADMISSION, ReinvocationContext } from '../../admission/types.js';
import { jsonClone } from '../../util/json.js';
import { nameIsDNSSubdomain } from '../../validation/names.js';
import type { GenericRegistry, WriteOptions } from '../generic.js';
import type { StrategyContext } from '../strategy.js';

/**
 * The parents' shape the Scale reads: desired replicas, observed replicas and the selector (a
 * ReplicationController's is a plain label map).
 */
interface Scalable extends KubeObject {
  spec?: { replicas?: number; selector?: LabelSelector | Record<string, string> };
  status?: { replicas?: number };
}

/** The kinds whose spec.selector is a map (scaleFromRC: labels.SelectorFromSet). */
const MAP_SELECTOR_KINDS: ReadonlySet<string> = new Set(['ReplicationController']);

function selectorString(kind: string, selector: NonNullable<Scalable['spec']>['selector']): string {
  if (MAP_SELECTOR_KINDS.has(kind)) return labelSelectorFromSet((selector ?? {}) as Record<string, string>).toString();
  return labelSelectorFromObject(selector as LabelSelector | undefined).toString();
}

const SCALE_KIND = { group: 'autoscaling', kind: 'Scale' };

/** scaleFromDeployment (and its ReplicaSet, StatefulSet and ReplicationController twins). */
export function scaleOf(parent: KubeObject, kind = parent.kind ?? ''): Scale {
  const p = parent as Scalable;
  let selector: string;
  try {
    selector = selectorString(kind, p.spec?.selector);
  } catch (e) {
    throw newBadRequest((e as Error).message);
  }
  const m = p.metadata;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: p.spec?.replicas ?? 0 },
    status: { replicas: p.status?.replicas ?? 0, selector },
  };
}

/** ValidateScale: the Scale's own metadata and a non-negative replica count. */
export function validateScale(scale: Scale): FieldError[] {
  const errs: FieldError[] = [];
  const name = scale.metadata?.name ?? '';
  if (!name) errs.push(fieldErrors.required('metadata.name', 'name or generateName is required'));
  else for (const m of nameIsDNSSubdomain(name, false)) errs.push(fieldErrors.invalid('metadata.name', name, m));
  if (!scale.metadata?.namespace) errs.push(fieldErrors.required('metadata.namespace', ''));
  const replicas = scale.spec?.replicas ?? 0;
  if (replicas < 0) errs.push(fieldErrors.invalid('spec.replicas', replicas, 'must be greater than or equal to 0'));
  return errs;
}

export interface ScaleWrite {
  readonly namespace: string;
  readonly name: string;
  readonly ctx: StrategyContext;
  readonly opts: WriteOptions;
  /** The requested Scale, from the current one (a PUT's body, or the current Scale patched). */
  readonly next: (current: Scale) => Scale;
  /**
   * The client named the version it changes (a PUT's or a patch's metadata.resourceVersion): a
   * conflict is the client's. Otherwise the write starts again from a fresh read.
   */
  readonly clientPrecondition: boolean;
}

/** The scale subresource of one parent resource. */
export class ScaleREST {
  /**
   * `parents`: the parent's registry without admission (admission runs here, on the Scale), so the
   * parent write is checked by its strategy only.
   */
  constructor(
    private readonly parents: GenericRegistry,
    private readonly admission: Admission = NO_ADMISSION,
  ) {}

  get gr() {
    return { group: this.parents.def.group, resource: `${this.parents.def.resource}/scale` };
  }

  private scaleOf(parent: KubeObject): Scale {
    return scaleOf(parent, this.parents.def.kind);
  }

  async get(namespace: string, name: string): Promise<Scale> {
    return this.scaleOf(await this.parents.get(namespace, name));
  }

  async update(w: ScaleWrite): Promise<Scale> {
    for (let attempt = 0; attempt < 16; attempt++) {
      const parent = await this.parents.get(w.namespace, w.name);
      const current = this.scaleOf(parent);
      const scale = w.next(jsonClone(current));
      scale.metadata ??= {};
      scale.metadata.namespace ||= w.namespace;
      await this.admission.admit(this.attributes(w, scale, current));
      const errs = validateScale(scale);
      if (errs.length) throw newInvalid(SCALE_KIND, w.name, errs);
      const uid = scale.metadata.uid;
      if (uid && uid !== parent.metadata.uid) {
        throw newConflict(
          this.gr,
          w.name,
          `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${parent.metadata.uid}`,
        );
      }
      await this.admission.validate(this.attributes(w, scale, current));
      const replicas = scale.spec?.replicas ?? 0;
      const expected = scale.metadata.resourceVersion || undefined;
      try {
        const written = await this.parents.guaranteedUpdate(w.namespace, w.name, '', w.ctx, w.opts, expected, (cur) => {
          const p = cur as Scalable;
          p.spec = { ...p.spec, replicas };
          return p;
        });
        return this.scaleOf(written);
      } catch (e) {
        // The version read went stale between the read and the write: read again, apply again.
        if (isConflict(e) && !w.clientPrecondition && expected === parent.metadata.resourceVersion) continue;
        throw e;
      }
    }
    throw newConflict(this.parents.gr, w.name, OBJECT_MODIFIED);
  }

  private attributes(w: ScaleWrite, scale: Scale, old: Scale): AdmissionAttributes {
    const d = this.parents.def;
    return {
      operation: 'UPDATE',
      user: w.ctx.user,
      group: d.group,
      version: d.version,
      resource: d.resource,
      subresource: 'scale',
      kind: 'Scale',
      namespace: w.namespace,
      name: w.name,
      object: scale,
      oldObject: old,
      dryRun: w.opts.dryRun,
      options: {
        kind: 'UpdateOptions',
        apiVersion: 'meta.k8s.io/v1',
        ...(w.opts.dryRun ? { dryRun: ['All'] } : {}),
        ...(w.ctx.fieldManager ? { fieldManager: w.ctx.fieldManager } : {}),
      },
      ...(w.ctx.addWarning ? { addWarning: w.ctx.addWarning } : {}),
      ...(w.ctx.addAuditAnnotation ? { addAuditAnnotation: w.ctx.addAuditAnnotation } : {}),
      reinvocation: new ReinvocationContext(),
    };
  }
}

/** group/resource → its /scale, for every served parent that has one. */
export function scaleSubresources(
  registries: { all(): GenericRegistry[] },
  admission: Admission,
): (group: string, resource: string) => ScaleREST | undefined {
  const byKey = new Map<string, ScaleREST>();
  for (const r of registries.all()) {
    if (r.def.subresources.some((s) => s.name === 'scale'))
      byKey.set(`${r.def.group}/${r.def.resource}`, new ScaleREST(r, admission));
  }
  return (group, resource) => byKey.get(`${group}/${resource}`);
}
