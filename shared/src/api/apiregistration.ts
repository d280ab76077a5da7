// apiregistration.k8s.io/v1: APIService, how the aggregation layer says which server serves an API
// group version ("Local" when the apiserver itself does).
import type { KubeObject } from './meta.js';

/** apiregistration's ServiceReference (no path). */
export interface APIServiceReference {
  namespace?: string;
  name?: string;
  port?: number;
}

export interface APIServiceSpec {
  /** Absent: served locally. */
  service?: APIServiceReference | null;
  group?: string;
  version?: string;
  insecureSkipTLSVerify?: boolean;
  /** Base64 in JSON. */
  caBundle?: string;
  groupPriorityMinimum: number;
  versionPriority: number;
}

export interface APIServiceCondition {
  type: 'Available' | string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface APIService extends KubeObject {
  spec: APIServiceSpec;
  status?: { conditions?: APIServiceCondition[] };
}
