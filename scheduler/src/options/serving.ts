// --secure-port and its delegated auth, loaded by the controller-manager's (k8s.io/apiserver's)
// option code; kube-scheduler keeps its self-signed pair in --cert-dir as kube-scheduler.{crt,key}.
import { loadSecureServingAs, type SecureServingConfig } from '@mkube/controller-manager/options';
import type { ConfigProblem, FlagValues } from '@mkube/shared/flags';

export type { SecureServingConfig };

export function loadSchedulerServing(
  flags: FlagValues,
  problems: ConfigProblem[],
): Promise<SecureServingConfig | undefined> {
  return loadSecureServingAs('kube-scheduler', flags, problems);
}
