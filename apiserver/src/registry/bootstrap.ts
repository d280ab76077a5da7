// What kube-apiserver creates at start: the system namespaces.
import { StatusError } from '@mkube/shared/apierrors';
import type { Registries } from './index.js';
import { apiserverContext } from './strategy.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

export async function ensureSystemNamespaces(registries: Registries): Promise<void> {
  const ctx = apiserverContext();
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await registries.namespaces.create('', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, ctx, {
        dryRun: false,
      });
    } catch (e) {
      if (!(e instanceof StatusError && e.reason === 'AlreadyExists')) throw e;
    }
  }
}
