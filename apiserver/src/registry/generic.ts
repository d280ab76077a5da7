// The generic registry (k8s.io/apiserver registry/generic/registry.Store): storage, metadata,
// preconditions, dry-run and selectors for any resource; per-resource rules come from a strategy.
import { randomInt, randomUUID } from 'node:crypto';
import {
  type DeleteOptions,
  type KubeObject,
  type ManagedFieldsEntry,
  metaTime,
  type ObjectMeta,
  type Preconditions,
} from '@mkube/shared/api';
import {
  type FieldError,
  fieldErrors,
  formatFieldError,
  GoSyntax,
  type GroupResource,
  newBadRequest,
  newConflict,
  newInvalid,
  newNotFound,
  OBJECT_MODIFIED,
} from '@mkube/shared/apierrors';
import {
  type Admission,
  type AdmissionAttributes,
  NO_ADMISSION,
  type Operation,
  ReinvocationContext,
} from '../admission/types.js';
import { applySchemaFor, managerName, update as trackUpdate } from '../fieldmanager/index.js';
import { type KeyValue, type Store, StoreConflictError } from '../storage/index.js';
import { isStaleInStorage } from '../storage/value/transforming-store.js';
import { jsonEqual } from '../util/json.js';
import type { ResourceDef } from './catalog.js';
import { clone, decodeDeleted, decodeObject, encodeObject, latestDecoded, writtenObject } from './codec.js';
import { planDeletion, shouldDeleteDuringUpdate } from './deletion.js';
import { matchesFilter, type ObjectFilter } from './filter.js';
import { listPrefix, objectKey } from './keys.js';
import { validateMetaOnCreate, validateMetaOnUpdate } from './meta.js';
import { storeErrorToStatus } from './storeerrors.js';
import type { FinishFunc, RESTStrategy, RegistryHooks, StrategyContext, SubresourceStrategy } from './strategy.js';

export interface WriteOptions {
  readonly dryRun: boolean;
  /** A server-side apply: the object arrives with its managedFields already decided. */
  readonly applied?: boolean;
  /** What a create through apply stores as `metadata.managedFields`. */
  readonly managedFields?: ManagedFieldsEntry[];
}

export interface ListRequest {
  readonly namespace: string;
  readonly filter: ObjectFilter;
  readonly limit?: number;
  readonly continueToken?: string;
  /** Serve the list at exactly this revision (resourceVersionMatch=Exact). */
  readonly exactRevision?: number;
}

export interface ListResponse {
  readonly items: KubeObject[];
  readonly revision: number;
  readonly continueToken?: string;
  readonly remainingItemCount?: number;
}

interface ContinueToken {
  v: 'meta.k8s.io/v1';
  rv: number;
  start: string;
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

const finishNothing: FinishFunc = async () => {};

export class GenericRegistry {
  readonly gr: GroupResource;
  constructor(
    readonly def: ResourceDef,
    readonly strategy: RESTStrategy,
    private readonly store: Store,
    readonly subresources: Readonly<Record<string, SubresourceStrategy>> = {},
    private readonly admission: Admission = NO_ADMISSION,
    private readonly hooks: RegistryHooks = {},
  ) {
    this.gr = { group: def.group, resource: def.resource };
  }

  get kindRef(): { group: string; kind: string } {
    return { group: this.def.group, kind: this.def.kind };
  }

  key(namespace: string, name: string): string {
    return objectKey(this.def, namespace, name);
  }

  async get(namespace: string, name: string): Promise<KubeObject> {
    const { kv } = await this.store.get(this.key(namespace, name)).catch((e) => {
      throw storeErrorToStatus(e, this.gr, name);
    });
    if (!kv) throw newNotFound(this.gr, name);
    return decodeObject(kv, this.store);
  }

  /**
   * `fieldSelector=metadata.name=<n>` names at most one object: read its key instead of the whole
   * prefix, as the upstream registry does (SelectionPredicate.MatchesSingle). Every kubelet waits
   * for its CSR with exactly this list; scanning all CSRs for each made a thousand joins quadratic.
   */
  #singleName(req: ListRequest): string | undefined {
    if (req.continueToken || req.exactRevision !== undefined) return undefined;
    if (this.def.namespaced && !req.namespace) return undefined;
    const byName = req.filter.fields.requirements.find((r) => r.field === 'metadata.name' && r.operator === '=');
    return byName?.value;
  }

  /** Objects stored, in every namespace (API Priority and Fairness' sample for list work estimates). */
  async count(): Promise<number> {
    return (await this.store.list(listPrefix(this.def, ''), { limit: 1 })).count;
  }

  async list(req: ListRequest): Promise<ListResponse> {
    const single = this.#singleName(req);
    if (single !== undefined) {
      const { kv, revision } = await this.store.get(this.key(req.namespace, single)).catch((e) => {
        throw storeErrorToStatus(e, this.gr, single);
      });
      const obj = kv ? decodeObject(kv, this.store) : undefined;
      return { items: obj && matchesFilter(req.filter, obj, this.strategy) ? [obj] : [], revision };
    }
    const prefix = listPrefix(this.def, req.namespace);
    let startKey: string | undefined;
    let revision = req.exactRevision;
    if (req.continueToken) {
      const token = decodeContinue(req.continueToken);
      startKey = prefix + token.start;
      revision = token.rv;
      if (!startKey.startsWith(prefix))
        throw newBadRequest('continue key is not valid: the continue token is for another resource');
    }
    const limit = req.limit && req.limit > 0 ? req.limit : undefined;
    const items: KubeObject[] = [];
    let lastKey: string | undefined;
    let more = false;
    let readRevision = 0;
    let remaining: number | undefined;
    // Selectors are applied after the read, so keep reading pages until the page is full.
    for (;;) {
      const page = await this.store
        .list(prefix, {
          limit: limit ? Math.max(limit - items.length, 1) * (req.filter.isEmpty ? 1 : 2) : undefined,
          startKey,
          revision,
        })
        .catch((e) => {
          throw storeErrorToStatus(e, this.gr, '');
        });
      readRevision = page.revision;
      revision = page.revision;
      let consumed = 0;
      for (const kv of page.kvs) {
        consumed++;
        lastKey = kv.key;
        const obj = decodeObject(kv, this.store);
        if (!matchesFilter(req.filter, obj, this.strategy)) continue;
        items.push(obj);
        if (limit && items.length >= limit) break;
      }
      more = page.more || consumed < page.kvs.length;
      if (limit && items.length >= limit) {
        // Only an unfiltered list knows how many items are left (as Kubernetes).
        if (req.filter.isEmpty) remaining = page.count - consumed;
        break;
      }
      if (!page.more || page.kvs.length === 0) {
        more = false;
        break;
      }
      startKey = `${lastKey}\x00`;
    }
    const response: ListResponse = { items, revision: readRevision };
    if (more && limit && lastKey !== undefined) {
      return {
        ...response,
        continueToken: encodeContinue({
          v: 'meta.k8s.io/v1',
          rv: readRevision,
          start: `${lastKey.slice(prefix.length)}\x00`,
        }),
        remainingItemCount: remaining !== undefined && remaining > 0 ? remaining : undefined,
      };
    }
    return response;
  }

  async create(namespace: string, input: KubeObject, ctx: StrategyContext, opts: WriteOptions): Promise<KubeObject> {
    const obj = clone(input);
    obj.apiVersion = this.def.group ? `${this.def.group}/${this.def.version}` : this.def.version;
    obj.kind = this.def.kind;
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (meta.resourceVersion) throw newBadRequest('resourceVersion should not be set on objects to be created');
    if (this.def.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) {
        throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    // As upstream's BeforeCreate: the uid and creation time exist before the strategy runs (a Job's
    // generated selector is its uid).
    fillSystemFields(meta, ctx.now);
    this.strategy.prepareForCreate(obj, ctx);
    if (opts.managedFields?.length) meta.managedFields = opts.managedFields;
    if (this.strategy.bumpsGeneration) meta.generation = 1;
    const generated = !meta.name && !!meta.generateName;
    if (generated) meta.name = generateName(meta.generateName!);
    const attrs: AdmissionAttributes = {
      ...this.attributes('CREATE', '', namespace, meta.name ?? '', obj, undefined, ctx, opts),
      ...(generated ? { generatedFrom: meta.generateName! } : {}),
    };
    await this.admission.admit(attrs);
    const errs = uniqueErrors([
      ...validateMetaOnCreate(meta, this.def, this.strategy.nameValidator?.(obj)),
      ...(await this.strategy.validate(obj, ctx)),
    ]);
    if (errs.length) throw newInvalid(this.kindRef, meta.name ?? '', errs);
    await this.admission.validate(attrs);
    const finish: FinishFunc = (await this.hooks.beginCreate?.(obj, !!opts.dryRun)) ?? finishNothing;
    if (opts.dryRun) {
      await this.assertAbsent(namespace, meta.name!).finally(() => finish(false));
      return obj;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const kv = await this.store.create(this.key(namespace, meta.name!), encodeObject(obj));
        await finish(true);
        return writtenObject(kv, this.store, obj);
      } catch (e) {
        const err = storeErrorToStatus(e, this.gr, meta.name!);
        // A generated name that collided: draw another, as the apiserver's retry does.
        if (generated && err.reason === 'AlreadyExists' && attempt < 3) {
          meta.name = generateName(meta.generateName!);
          continue;
        }
        await finish(false);
        throw err;
      }
    }
  }

  private async assertAbsent(namespace: string, name: string): Promise<void> {
    const { kv } = await this.store.get(this.key(namespace, name));
    if (kv) throw storeErrorToStatus({ code: 'KeyExists' }, this.gr, name);
  }

  /**
   * PUT (subresource '' or a subresource name). `input.metadata.resourceVersion`, when set, is a
   * precondition; when empty the update is unconditional, as Kubernetes allows for built-in kinds.
   */
  async update(
    namespace: string,
    name: string,
    input: KubeObject,
    subresource: string,
    ctx: StrategyContext,
    opts: WriteOptions,
  ): Promise<KubeObject> {
    const inName = input.metadata?.name;
    if (inName && inName !== name)
      throw newBadRequest(`the name of the object (${inName}) does not match the name on the URL (${name})`);
    if (this.def.namespaced && input.metadata?.namespace && input.metadata.namespace !== namespace) {
      throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    // AllowUnconditionalUpdate() false: a PUT must name the version it replaces (Go prints the uint64 0).
    if (this.strategy.allowUnconditionalUpdate === false && !input.metadata?.resourceVersion) {
      throw newInvalid(this.kindRef, name, [
        fieldErrors.invalid('metadata.resourceVersion', new GoSyntax('0x0'), 'must be specified for an update'),
      ]);
    }
    return this.guaranteedUpdate(namespace, name, subresource, ctx, opts, input.metadata?.resourceVersion, () =>
      clone(input),
    );
  }

  /**
   * Read-modify-write with optimistic concurrency. `mutate` receives the current object (a copy);
   * `expectedRv` is the client's precondition (a conflict is then reported, not retried).
   */
  async guaranteedUpdate(
    namespace: string,
    name: string,
    subresource: string,
    ctx: StrategyContext,
    opts: WriteOptions,
    expectedRv: string | undefined,
    mutate: (current: KubeObject) => KubeObject,
  ): Promise<KubeObject> {
    const key = this.key(namespace, name);
    // As kube-apiserver's cacher hands etcd3's GuaranteedUpdate the watch cache's copy: start from
    // the newest object this process has decoded for the key, without reading the store. The write
    // compares that revision; a conflict hands back the current object, and an error or a no-op
    // based on the cached copy is checked again against a live read (`kv` undefined until then).
    let cur: { kv?: KeyValue; old: KubeObject } | undefined;
    const cached = latestDecoded(key, this.store);
    if (cached && (!expectedRv || expectedRv === cached.metadata.resourceVersion)) cur = { old: cached };
    for (let attempt = 0; attempt < 16; attempt++) {
      if (!cur) {
        const { kv } = await this.store.get(key).catch((e) => {
          throw storeErrorToStatus(e, this.gr, name);
        });
        if (!kv) throw newNotFound(this.gr, name);
        cur = { kv, old: decodeObject(kv, this.store) };
      }
      const { kv, old } = cur;
      if (expectedRv && expectedRv !== old.metadata.resourceVersion) throw newConflict(this.gr, name, OBJECT_MODIFIED);
      let obj: KubeObject;
      let finish: FinishFunc = finishNothing;
      try {
        obj = await this.prepareUpdate(mutate(clone(old)), old, subresource, namespace, ctx, opts);
        if (!subresource && this.hooks.beginUpdate) finish = await this.hooks.beginUpdate(obj, old, !!opts.dryRun);
        if (subresource && this.hooks.beginSubresourceUpdate)
          finish = await this.hooks.beginSubresourceUpdate(subresource, obj, old, !!opts.dryRun);
      } catch (e) {
        if (kv) throw e;
        cur = undefined;
        continue;
      }
      // An unchanged object is still written when its value was read with an older encryption
      // key, so that rewriting every Secret moves it to the current one (upstream's "stale").
      if (sameObject(obj, old) && !(kv && isStaleInStorage(kv))) {
        await finish(false);
        if (kv) return old;
        cur = undefined;
        continue;
      }
      if (opts.dryRun) {
        await finish(false);
        if (kv) return obj;
        cur = undefined;
        continue;
      }
      try {
        if (shouldDeleteDuringUpdate(obj, old, this.strategy)) {
          // The last finalizer is gone from an object marked for deletion: the update deletes it.
          await this.store.delete(key, { expectedModRevision: Number(old.metadata.resourceVersion) });
          await finish(true);
          await this.hooks.afterDelete?.(obj).catch(() => {});
          return obj;
        }
        const written = await this.store.update(key, encodeObject(obj), {
          expectedModRevision: Number(old.metadata.resourceVersion),
        });
        await finish(true);
        return writtenObject(written, this.store, obj);
      } catch (e) {
        await finish(false);
        const err = storeErrorToStatus(e, this.gr, name);
        if (err.reason === 'Conflict' && !expectedRv) {
          cur =
            e instanceof StoreConflictError ? { kv: e.current, old: decodeObject(e.current, this.store) } : undefined;
          continue;
        }
        throw err;
      }
    }
    throw newConflict(this.gr, name, OBJECT_MODIFIED);
  }

  private async prepareUpdate(
    obj: KubeObject,
    old: KubeObject,
    subresource: string,
    namespace: string,
    ctx: StrategyContext,
    opts: WriteOptions,
  ): Promise<KubeObject> {
    obj.apiVersion = old.apiVersion;
    obj.kind = old.kind;
    obj.metadata ??= {};
    const meta = obj.metadata;
    meta.resourceVersion = old.metadata.resourceVersion;
    if (!meta.uid) meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    // An update never removes or changes a deletion under way (BeforeUpdate).
    if (old.metadata.deletionTimestamp) meta.deletionTimestamp = old.metadata.deletionTimestamp;
    if (old.metadata.deletionGracePeriodSeconds !== undefined && meta.deletionGracePeriodSeconds === undefined)
      meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    if (this.def.namespaced) meta.namespace = old.metadata.namespace;
    meta.name ??= old.metadata.name;
    if (old.metadata.generation !== undefined) meta.generation = old.metadata.generation;
    const attrs = this.attributes('UPDATE', subresource, namespace, old.metadata.name ?? '', obj, old, ctx, opts);
    await this.admission.admit(attrs);
    const requested = obj.metadata.managedFields;
    let errs: FieldError[];
    if (subresource) {
      const sub = this.subresources[subresource];
      if (!sub)
        throw newNotFound({ group: this.def.group, resource: `${this.def.resource}/${subresource}` }, meta.name ?? '');
      // A subresource owns one part of the object; metadata stays as it was (but for annotations,
      // where the subresource's strategy says so).
      const annotations = obj.metadata.annotations;
      obj.metadata = { ...old.metadata };
      if (sub.updatesAnnotations) {
        if (annotations) obj.metadata.annotations = annotations;
        else delete obj.metadata.annotations;
      }
      sub.prepareForUpdate(obj, old, ctx);
      // An apply decided the managedFields; anything else is tracked against the stored ones.
      if (opts.applied) obj.metadata.managedFields = requested;
      else this.trackManagedFields(obj, old, undefined, subresource, ctx, opts);
      errs = await sub.validateUpdate(obj, old, ctx);
      if (sub.updatesAnnotations) errs = [...validateMetaOnUpdate(obj.metadata, old.metadata, this.def), ...errs];
    } else {
      this.strategy.prepareForUpdate(obj, old, ctx);
      this.trackManagedFields(obj, old, requested, subresource, ctx, opts);
      if (this.strategy.bumpsGeneration?.(obj, old)) obj.metadata.generation = (old.metadata.generation ?? 0) + 1;
      errs = uniqueErrors([
        ...validateMetaOnUpdate(obj.metadata, old.metadata, this.def, this.strategy.nameValidator?.(obj)),
        ...this.strategy.validateUpdate(obj, old, ctx),
      ]);
    }
    if (errs.length) throw newInvalid(this.kindRef, old.metadata.name ?? '', errs);
    await this.admission.validate(attrs);
    return obj;
  }

  /**
   * Field ownership of a write other than an apply, on objects an apply has started tracking (or
   * whose request sets managedFields): what the write changed becomes its manager's.
   */
  private trackManagedFields(
    obj: KubeObject,
    old: KubeObject,
    requested: ManagedFieldsEntry[] | undefined,
    subresource: string,
    ctx: StrategyContext,
    opts: WriteOptions,
  ): void {
    if (opts.applied || (requested === undefined && !old.metadata.managedFields?.length)) return;
    const d = this.def;
    const managed = trackUpdate(old, obj, requested, {
      manager: managerName(ctx),
      apiVersion: d.group ? `${d.group}/${d.version}` : d.version,
      subresource,
      now: metaTime(ctx.now),
      schema: applySchemaFor({ group: d.group, version: d.version, kind: d.kind }),
    });
    if (managed?.length) obj.metadata.managedFields = managed;
    else delete obj.metadata.managedFields;
  }

  private attributes(
    operation: Operation,
    subresource: string,
    namespace: string,
    name: string,
    object: KubeObject | undefined,
    oldObject: KubeObject | undefined,
    ctx: StrategyContext,
    opts: WriteOptions,
  ): AdmissionAttributes {
    const d = this.def;
    return {
      operation,
      user: ctx.user,
      group: d.group,
      version: d.version,
      resource: d.resource,
      subresource,
      kind: d.kind,
      namespace: d.namespaced ? namespace : '',
      name,
      object,
      oldObject,
      dryRun: opts.dryRun,
      options: operationOptions(operation, ctx, opts),
      ...(ctx.addWarning ? { addWarning: ctx.addWarning } : {}),
      ...(ctx.addAuditAnnotation ? { addAuditAnnotation: ctx.addAuditAnnotation } : {}),
      reinvocation: new ReinvocationContext(),
    };
  }

  /**
   * DELETE. A kind with graceful deletion (pods) or an object with finalizers is marked
   * (deletionTimestamp) and stays; otherwise it is removed. Answers the object: as deleted, or as
   * now marked.
   */
  async delete(
    namespace: string,
    name: string,
    preconditions: Preconditions | undefined,
    opts: WriteOptions,
    ctx?: StrategyContext,
    options?: DeleteOptions,
  ): Promise<KubeObject> {
    const refused = this.strategy.refuseDelete?.(name);
    if (refused) throw refused;
    return this.deleteOne(namespace, name, preconditions, opts, ctx, options);
  }

  private async deleteOne(
    namespace: string,
    name: string,
    preconditions: Preconditions | undefined,
    opts: WriteOptions,
    ctx?: StrategyContext,
    options?: DeleteOptions,
  ): Promise<KubeObject> {
    const key = this.key(namespace, name);
    for (let attempt = 0; attempt < 16; attempt++) {
      const { kv } = await this.store.get(key).catch((e) => {
        throw storeErrorToStatus(e, this.gr, name);
      });
      if (!kv) throw newNotFound(this.gr, name);
      const current = decodeObject(kv, this.store);
      checkPreconditions(this.gr, name, current, preconditions);
      if (ctx) {
        // As AdmissionToValidateObjectDeleteFunc: mutating admission sees the delete too (it cannot patch it).
        const attrs = this.attributes('DELETE', '', namespace, name, undefined, current, ctx, opts);
        await this.admission.admit(attrs);
        await this.admission.validate(attrs);
      }
      const plan = planDeletion(current, options, this.strategy, ctx?.now ?? new Date());
      if (plan.kind === 'pending') return current;
      if (opts.dryRun) return plan.kind === 'mark' ? plan.object : current;
      try {
        let expected = kv.modRevision;
        let last = current;
        if (plan.kind === 'mark') {
          const written = await this.store.update(key, encodeObject(plan.object), { expectedModRevision: expected });
          last = writtenObject(written, this.store, plan.object);
          if (!plan.thenNow) return last;
          expected = written.modRevision;
        }
        await this.store.delete(key, { expectedModRevision: expected });
        // What the object held (a Service's cluster IP) is given back; a failure here leaves the
        // value taken, never the object half-deleted.
        await this.hooks.afterDelete?.(last).catch(() => {});
        return last;
      } catch (e) {
        const err = storeErrorToStatus(e, this.gr, name);
        if (err.reason === 'Conflict' && !preconditions?.resourceVersion) continue;
        throw err;
      }
    }
    throw newConflict(this.gr, name, OBJECT_MODIFIED);
  }

  async deleteCollection(
    namespace: string,
    filter: ObjectFilter,
    opts: WriteOptions,
    ctx?: StrategyContext,
    options?: Omit<DeleteOptions, 'preconditions'>,
  ): Promise<KubeObject[]> {
    const { items } = await this.list({ namespace, filter });
    const deleted: KubeObject[] = [];
    for (const item of items) {
      try {
        deleted.push(
          await this.deleteOne(
            item.metadata.namespace ?? '',
            item.metadata.name!,
            { uid: item.metadata.uid },
            opts,
            ctx,
            options,
          ),
        );
      } catch (e) {
        if ((e as { reason?: string }).reason !== 'NotFound') throw e;
      }
    }
    return deleted;
  }

  /** Raw store access for watches. */
  get storage(): Store {
    return this.store;
  }

  decode(kv: KeyValue): KubeObject {
    return decodeObject(kv, this.store);
  }

  /** The last state of an object a watch saw deleted at `revision`. */
  decodeDeleted(kv: KeyValue, revision: number): KubeObject {
    return decodeDeleted(kv, revision, this.store);
  }
}

/** The CreateOptions / UpdateOptions / DeleteOptions admission webhooks receive (a PATCH's are UpdateOptions). */
function operationOptions(operation: Operation, ctx: StrategyContext, opts: WriteOptions): Record<string, unknown> {
  const kind = operation === 'CREATE' ? 'CreateOptions' : operation === 'UPDATE' ? 'UpdateOptions' : 'DeleteOptions';
  return {
    kind,
    apiVersion: 'meta.k8s.io/v1',
    ...(opts.dryRun ? { dryRun: ['All'] } : {}),
    ...(kind !== 'DeleteOptions' && ctx.fieldManager ? { fieldManager: ctx.fieldManager } : {}),
    ...(kind !== 'DeleteOptions' && ctx.fieldValidation ? { fieldValidation: ctx.fieldValidation } : {}),
  };
}

/** Type validators also check metadata; the generic checks must not report a problem twice. */
function uniqueErrors(errs: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const k = formatFieldError(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Preconditions of a delete or a storage-level update, against the object as stored. */
export function checkPreconditions(
  gr: GroupResource,
  name: string,
  current: KubeObject,
  p: Preconditions | undefined,
): void {
  if (p?.uid && p.uid !== current.metadata.uid) {
    throw newConflict(
      gr,
      name,
      `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${current.metadata.uid}`,
    );
  }
  if (p?.resourceVersion && p.resourceVersion !== current.metadata.resourceVersion) {
    throw newConflict(
      gr,
      name,
      `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
    );
  }
}

function fillSystemFields(meta: ObjectMeta, now: Date): void {
  meta.uid = randomUUID();
  meta.creationTimestamp = metaTime(now);
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.selfLink;
  delete meta.managedFields;
  delete meta.generation;
}

export function generateName(base: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[randomInt(GENERATE_ALPHABET.length)];
  // Kubernetes trims the base so the result stays within 63 characters.
  return `${base.slice(0, 58)}${suffix}`;
}

function sameObject(a: KubeObject, b: KubeObject): boolean {
  return jsonEqual(a, b);
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as ContinueToken;
    if (t.v !== 'meta.k8s.io/v1' || !Number.isSafeInteger(t.rv) || typeof t.start !== 'string') throw new Error('bad');
    return t;
  } catch {
    throw newBadRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}
