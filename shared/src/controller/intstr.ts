// intstr.GetScaledValueFromIntOrPercent: an int as is, "N%" of a total, rounded up or down.
import type { IntOrString } from '../api/index.js';

export function scaledValueFromIntOrPercent(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  if (!v.endsWith('%')) throw new Error(`invalid type: string is not a percentage`);
  const n = Number(v.slice(0, -1));
  if (!Number.isInteger(n)) throw new Error(`invalid value for IntOrString: invalid value ${JSON.stringify(v)}`);
  const scaled = (n * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}
