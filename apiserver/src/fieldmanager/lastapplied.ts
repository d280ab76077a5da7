// Moving from client-side to server-side apply (k8s.io/apiserver fieldmanager/internal
// lastappliedmanager.go, lastappliedupdater.go): for the manager "kubectl" only, conflicts on fields
// whose live value is still what `kubectl.kubernetes.io/last-applied-configuration` says are
// allowed, and an object that carries that annotation keeps it in step with what was applied.
import type { KubeObject } from '@mkube/shared/api';
import { jsonEqual } from '../util/json.js';
import { FieldSet } from './fieldpath.js';
import type { ApplyMeta } from './schema.js';
import { insert, toFieldSet, valueAt } from './typed.js';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
export const KUBECTL = 'kubectl';

/** Fields of the last client-side apply whose live value it still matches: kubectl may take them over. */
export function allowedFromLastApplied(
  ownableLive: Record<string, unknown>,
  live: KubeObject | undefined,
  schema: ApplyMeta,
  ownable: (o: KubeObject) => Record<string, unknown>,
): FieldSet {
  const allowed = new FieldSet();
  const text = live?.metadata?.annotations?.[LAST_APPLIED];
  if (!text) return allowed;
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return allowed;
  }
  if (last === null || typeof last !== 'object' || Array.isArray(last)) return allowed;
  const lastFields = ownable(last as KubeObject);
  for (const path of toFieldSet(lastFields, schema).paths()) {
    if (jsonEqual(valueAt(lastFields, path, schema), valueAt(ownableLive, path, schema))) insert(allowed, path);
  }
  return allowed;
}

/** The object with its last-applied annotation rewritten to what was applied. */
export function syncLastApplied(obj: KubeObject, config: KubeObject): KubeObject {
  const meta = { ...config.metadata };
  const { [LAST_APPLIED]: _own, ...rest } = meta.annotations ?? {};
  if (Object.keys(rest).length) meta.annotations = rest;
  else delete meta.annotations;
  const annotations = {
    ...obj.metadata?.annotations,
    [LAST_APPLIED]: `${JSON.stringify({ ...config, metadata: meta })}\n`,
  };
  return { ...obj, metadata: { ...obj.metadata, annotations } };
}
