// Deleting a namespace deletes what is in it first (the namespace controller's job upstream, done
// inline here so a deleted namespace never leaves orphans behind).
import { EVERYTHING } from '../registry/filter.js';
import type { Registries } from '../registry/index.js';

export async function deleteNamespaceContents(registries: Registries, namespace: string): Promise<void> {
  for (const reg of registries.all()) {
    if (!reg.def.namespaced) continue;
    await reg.deleteCollection(namespace, EVERYTHING, { dryRun: false });
  }
}
