// What kube-apiserver creates at start: the system namespaces.
import { StatusError } from '@mkube/shared/apierrors';
import type { Registries } from './index.js';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

export async function ensureSystemNamespaces(registries: Registries): Promise<void> {
  const ctx = { user: { username: 'system:apiserver', groups: ['system:masters'] }, now: new Date() };
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
