// The scheduler's resource vector (framework.Resource): CPU in millicores, memory and ephemeral
// storage in bytes, the pod count a node allows, and "scalar" resources (extended resources such
// as example.com/gpu, hugepages-*) by name. Quantities are read once, into numbers.

import { Quantity } from '@mkube/shared/quantity';
import type { ResourceList } from '../api/index.js';

export const CPU = 'cpu';
export const MEMORY = 'memory';
export const EPHEMERAL_STORAGE = 'ephemeral-storage';
export const PODS = 'pods';

/** schedutil.IsScalarResourceName: extended, hugepages, prefixed native and attachable-volume resources. */
export function isScalarResourceName(name: string): boolean {
  return (
    name.includes('/') || // extended (example.com/gpu) and prefixed native (kubernetes.io/…) names
    name.startsWith('hugepages-') ||
    name.startsWith('attachable-volumes-')
  );
}

/** A ResourceList in scheduler units: `cpu` in millicores, everything else in whole units. */
export type Amounts = Map<string, number>;

/**
 * The amounts of a ResourceList. A quantity that does not parse counts as absent: the apiserver
 * validates them, so only a hand-written object could carry one.
 */
export function amountsOf(list: ResourceList | undefined): Amounts {
  const out: Amounts = new Map();
  for (const [name, q] of Object.entries(list ?? {})) {
    try {
      const quantity = Quantity.parse(String(q));
      out.set(name, name === CPU ? quantity.milliValue() : quantity.value());
    } catch {
      // See above: not a quantity, not a request.
    }
  }
  return out;
}

export function addAmounts(into: Amounts, more: Amounts): void {
  for (const [k, v] of more) into.set(k, (into.get(k) ?? 0) + v);
}

export function maxAmounts(into: Amounts, other: Amounts): void {
  for (const [k, v] of other) into.set(k, Math.max(into.get(k) ?? 0, v));
}

export class Resource {
  milliCPU = 0;
  memory = 0;
  ephemeralStorage = 0;
  allowedPodNumber = 0;
  readonly scalar = new Map<string, number>();

  /** Resource.Add: known names into their fields, scalar names by name, others ignored. */
  add(amounts: Amounts): this {
    for (const [name, v] of amounts) {
      if (name === CPU) this.milliCPU += v;
      else if (name === MEMORY) this.memory += v;
      else if (name === EPHEMERAL_STORAGE) this.ephemeralStorage += v;
      else if (name === PODS) this.allowedPodNumber += v;
      else if (isScalarResourceName(name)) this.scalar.set(name, (this.scalar.get(name) ?? 0) + v);
    }
    return this;
  }

  /** Subtracts another vector (a pod leaving a node). */
  subtract(r: Resource): this {
    this.milliCPU -= r.milliCPU;
    this.memory -= r.memory;
    this.ephemeralStorage -= r.ephemeralStorage;
    this.allowedPodNumber -= r.allowedPodNumber;
    for (const [k, v] of r.scalar) this.scalar.set(k, (this.scalar.get(k) ?? 0) - v);
    return this;
  }

  plus(r: Resource): this {
    this.milliCPU += r.milliCPU;
    this.memory += r.memory;
    this.ephemeralStorage += r.ephemeralStorage;
    this.allowedPodNumber += r.allowedPodNumber;
    for (const [k, v] of r.scalar) this.scalar.set(k, (this.scalar.get(k) ?? 0) + v);
    return this;
  }

  static from(amounts: Amounts): Resource {
    return new Resource().add(amounts);
  }
}
