// StatefulPodControl (stateful_pod_control.go): creates, repairs and deletes a set's pods, each
// with upstream's Event ("create Pod web-0 in StatefulSet web successful"). An AlreadyExists on
// create is the informer lagging behind an earlier create: no Event, the sync just retries.
import type { Pod, StatefulSet } from '@mkube/shared/api';
import { isAlreadyExists, isConflict } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';
import type { EventRecorder } from '@mkube/shared/events';
import { RESOURCES } from '../informers/index.js';
import { identityMatches, updateIdentity } from './utils.js';

type Verb = 'create' | 'update' | 'delete';
const title = (v: Verb) => `${v[0]?.toUpperCase()}${v.slice(1)}`;

export class StatefulPodControl {
  constructor(
    readonly client: KubeClient,
    readonly recorder: EventRecorder,
  ) {}

  #pods(set: StatefulSet) {
    return this.client.resource<Pod>({ ...RESOURCES.pods, namespace: set.metadata.namespace ?? '' });
  }

  /** recordPodEvent. */
  #record(verb: Verb, set: StatefulSet, pod: Pod, err?: unknown): void {
    const name = pod.metadata.name;
    if (err === undefined) {
      this.recorder.event(
        set,
        'Normal',
        `Successful${title(verb)}`,
        `${verb} Pod ${name} in StatefulSet ${set.metadata.name} successful`,
      );
    } else {
      this.recorder.event(
        set,
        'Warning',
        `Failed${title(verb)}`,
        `${verb} Pod ${name} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`,
      );
    }
  }

  async create(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.#pods(set).create(pod);
    } catch (e) {
      if (!isAlreadyExists(e)) this.#record('create', set, pod, e);
      throw e;
    }
    this.#record('create', set, pod);
  }

  async delete(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await this.#pods(set).delete(pod.metadata.name ?? '');
    } catch (e) {
      this.#record('delete', set, pod, e);
      throw e;
    }
    this.#record('delete', set, pod);
  }

  /** UpdateStatefulPod: restores the pod's identity, re-reading it on a conflict. */
  async update(set: StatefulSet, pod: Pod): Promise<void> {
    let cur = pod;
    for (let attempt = 0; ; attempt++) {
      if (identityMatches(set, cur)) return;
      try {
        await this.#pods(set).update(updateIdentity(set, cur));
        this.#record('update', set, pod);
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= 4) {
          this.#record('update', set, pod, e);
          throw e;
        }
        cur = await this.#pods(set).get(pod.metadata.name ?? '');
      }
    }
  }
}
