// policy/v1 Eviction: the pods/eviction subresource's body, a request to delete a pod politely.
import type { DeleteOptions, KubeObject } from './meta.js';

export interface Eviction extends KubeObject {
  deleteOptions?: DeleteOptions;
}
