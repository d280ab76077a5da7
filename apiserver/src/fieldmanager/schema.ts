// How server-side apply sees each list and map of mkube's kinds (the `+listType`, `+listMapKey`
// and `+mapType` markers of k8s.io/api): a list is atomic unless marked, a keyed list merges item
// by item, a set by value; maps merge key by key unless atomic. Mostly the strategic-merge-patch
// tags say the same, so the apply schema is derived from them, with the places they differ.
import { type GroupVersionKind, type PatchMeta, patchSchemaFor } from '../patch/index.js';

export interface ApplyMeta {
  readonly list?: 'atomic' | 'set' | 'map';
  /** Map keys of a keyed list. */
  readonly keys?: readonly string[];
  /** Values a key takes when an item leaves it out (`+default`, e.g. protocol TCP). */
  readonly keyDefaults?: Readonly<Record<string, unknown>>;
  readonly atomicMap?: boolean;
  readonly fields?: Readonly<Record<string, ApplyMeta>>;
}

function fromPatch(p: PatchMeta | undefined): ApplyMeta | undefined {
  if (!p) return undefined;
  const fields = p.fields
    ? Object.fromEntries(Object.entries(p.fields).map(([k, v]) => [k, fromPatch(v)!]))
    : undefined;
  if (p.mergeKey) return { list: 'map', keys: [p.mergeKey], ...(fields ? { fields } : {}) };
  if (p.strategy?.startsWith('merge')) return { list: 'set' };
  return fields ? { fields } : {};
}

function withField(meta: ApplyMeta | undefined, path: readonly string[], leaf: ApplyMeta): ApplyMeta {
  const m = meta ?? {};
  if (path.length === 0) return { ...m, ...leaf, fields: { ...m.fields, ...leaf.fields } };
  const [head, ...rest] = path as [string, ...string[]];
  return { ...m, fields: { ...m.fields, [head]: withField(m.fields?.[head], rest, leaf) } };
}

const TCP = { protocol: 'TCP' };
const OVERRIDES: Readonly<Record<string, readonly [readonly string[], ApplyMeta][]>> = {
  // ContainerPort's listMapKeys are containerPort and protocol (which defaults to TCP).
  '/Pod': ['initContainers', 'containers', 'ephemeralContainers'].map((c) => [
    ['spec', c, 'ports'],
    { list: 'map', keys: ['containerPort', 'protocol'], keyDefaults: TCP },
  ]),
  '/Service': [
    [['spec', 'ports'], { list: 'map', keys: ['port', 'protocol'], keyDefaults: TCP }],
    [['spec', 'selector'], { atomicMap: true }],
  ],
  // Conditions are listType=map by type, though strategic merge patch replaces them whole.
  'certificates.k8s.io/CertificateSigningRequest': [[['status', 'conditions'], { list: 'map', keys: ['type'] }]],
};

const cache = new Map<string, ApplyMeta>();

export function applySchemaFor(gvk: GroupVersionKind): ApplyMeta {
  const id = `${gvk.group}/${gvk.kind}`;
  let s = cache.get(id);
  if (!s) {
    s = fromPatch(patchSchemaFor(gvk)) ?? {};
    for (const [path, leaf] of OVERRIDES[id] ?? []) s = withField(s, path, leaf);
    cache.set(id, s);
  }
  return s;
}

/** The schema of each item of a list, or of a field's value. */
export const fieldMeta = (m: ApplyMeta | undefined, name: string): ApplyMeta | undefined => m?.fields?.[name];
