// Sets of field paths, as structured-merge-diff keeps them for server-side apply
// (sigs.k8s.io/structured-merge-diff fieldpath.Set) and as `managedFields[].fieldsV1` writes them:
// `f:<field>` a field or map key, `k:{"name":"c"}` the item of a list keyed by its map keys,
// `v:"x"` the value of a set, and `.` the node itself when it is a member as well as a parent.

/** One step of a path, in its fieldsV1 spelling (`f:data`, `k:{"name":"c"}`, `v:"x"`). */
export type PathElement = string;

export class FieldSet {
  /** Paths that end here. */
  readonly members = new Set<PathElement>();
  /** Paths that go on below an element. */
  readonly children = new Map<PathElement, FieldSet>();

  child(e: PathElement): FieldSet {
    let c = this.children.get(e);
    if (!c) {
      c = new FieldSet();
      this.children.set(e, c);
    }
    return c;
  }

  isEmpty(): boolean {
    if (this.members.size) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  has(path: readonly PathElement[]): boolean {
    let node: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && node; i++) node = node.children.get(path[i]!);
    return !!node && path.length > 0 && node.members.has(path[path.length - 1]!);
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    out.#addAll(other);
    return out;
  }

  #addAll(other: FieldSet): void {
    for (const m of other.members) this.members.add(m);
    for (const [e, c] of other.children) this.child(e).#addAll(c);
  }

  /** This set without the paths in `other` (children are subtracted path by path). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [e, c] of this.children) {
      const o = other.children.get(e);
      const d = o ? c.difference(o) : c.clone();
      if (!d.isEmpty()) out.children.set(e, d);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (other.members.has(m)) out.members.add(m);
    for (const [e, c] of this.children) {
      const o = other.children.get(e);
      if (!o) continue;
      const i = c.intersection(o);
      if (!i.isEmpty()) out.children.set(e, i);
    }
    return out;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const [e, c] of this.children) out.children.set(e, c.clone());
    return out;
  }

  /** Every member path, depth first. */
  *paths(prefix: PathElement[] = []): Generator<PathElement[]> {
    const seen = new Set<PathElement>();
    for (const e of [...this.members, ...this.children.keys()].sort()) {
      if (seen.has(e)) continue;
      seen.add(e);
      if (this.members.has(e)) yield [...prefix, e];
      const c = this.children.get(e);
      if (c) yield* c.paths([...prefix, e]);
    }
  }

  /** The `fieldsV1` object of this set. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = [...new Set([...this.members, ...this.children.keys()])].sort();
    for (const e of keys) {
      const c = this.children.get(e);
      const sub: Record<string, unknown> = c && !c.isEmpty() ? c.toFieldsV1() : {};
      if (this.members.has(e) && Object.keys(sub).length) out[e] = { '.': {}, ...sub };
      else if (this.members.has(e) || Object.keys(sub).length) out[e] = sub;
    }
    return out;
  }

  /** Reads a `fieldsV1` object; throws on anything that is not one. */
  static fromFieldsV1(v: unknown): FieldSet {
    const out = new FieldSet();
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('fieldsV1 must be an object');
    for (const [e, sub] of Object.entries(v)) {
      if (e === '.') continue;
      if (!/^[fkvi]:/.test(e)) throw new Error(`unknown path element ${JSON.stringify(e)}`);
      if (sub === null || typeof sub !== 'object' || Array.isArray(sub)) {
        throw new Error(`the value of ${JSON.stringify(e)} must be an object`);
      }
      const keys = Object.keys(sub);
      if (keys.length === 0 || Object.hasOwn(sub, '.')) out.members.add(e);
      if (keys.some((k) => k !== '.')) {
        const c = FieldSet.fromFieldsV1(sub);
        if (!c.isEmpty()) out.children.set(e, c);
      }
    }
    return out;
  }
}

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const valueElement = (value: unknown): PathElement => `v:${JSON.stringify(value)}`;

/** `k:` element of a keyed list item: its key fields, sorted by name, as JSON. */
export function keyElement(keys: Readonly<Record<string, unknown>>): PathElement {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(keys).sort()) sorted[k] = keys[k];
  return `k:${JSON.stringify(sorted)}`;
}

/** A path as structured-merge-diff prints it in conflicts: `.spec.containers[name="c"].image`. */
export function pathString(path: readonly PathElement[]): string {
  return path
    .map((e) => {
      const body = e.slice(2);
      if (e.startsWith('f:')) return `.${body}`;
      if (e.startsWith('v:')) return `[=${body}]`;
      if (e.startsWith('i:')) return `[${body}]`;
      const keys = JSON.parse(body) as Record<string, unknown>;
      return `[${Object.entries(keys)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}
