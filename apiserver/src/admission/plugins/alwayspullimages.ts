// AlwaysPullImages (plugin/pkg/admission/alwayspullimages; off by default, the CIS benchmark asks for
// it in multi-tenant clusters): every container of a new pod, and of an updated one whose images
// change, gets imagePullPolicy Always, so a node pulls again — with the pod's credentials — rather
// than run an image another tenant pulled. The validating half refuses a pod some later mutation left
// with another policy. Ephemeral containers count, through pods/ephemeralcontainers too.

import type { Container, Pod, PodSpec } from '@mkube/shared/api';
import {
  aggregateMessages,
  fieldErrors,
  formatFieldError,
  newForbidden,
  newNonStatusError,
} from '@mkube/shared/apierrors';
import type { AdmissionAttributes, AdmissionPlugin } from '../types.js';

export const ALWAYS_PULL_IMAGES_PLUGIN = 'AlwaysPullImages';

/** pods.VisitContainersWithPath: init, regular, then ephemeral containers, each with its path. */
function containersWithPath(spec: PodSpec | undefined): [Container, string][] {
  const out: [Container, string][] = [];
  for (const [list, name] of [
    [spec?.initContainers, 'initContainers'],
    [spec?.containers, 'containers'],
    [spec?.ephemeralContainers, 'ephemeralContainers'],
  ] as const)
    (list ?? []).forEach((c, i) => {
      out.push([c as Container, `spec.${name}[${i}]`]);
    });
  return out;
}

/** An update that brings no image the old pod did not have is left alone (isUpdateWithNoNewImages). */
function shouldIgnore(a: AdmissionAttributes): boolean {
  if (a.group !== '' || a.resource !== 'pods') return true;
  if (a.subresource !== '' && a.subresource !== 'ephemeralcontainers') return true;
  if (a.operation !== 'UPDATE') return false;
  const old = new Set(containersWithPath((a.oldObject as Pod | undefined)?.spec).map(([c]) => c.image));
  return containersWithPath((a.object as Pod | undefined)?.spec).every(([c]) => old.has(c.image));
}

export const alwaysPullImages: AdmissionPlugin = {
  name: ALWAYS_PULL_IMAGES_PLUGIN,
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  async admit(a) {
    if (shouldIgnore(a)) return;
    for (const [c] of containersWithPath((a.object as Pod | undefined)?.spec)) c.imagePullPolicy = 'Always';
  },
  async validate(a) {
    if (shouldIgnore(a)) return;
    const bad = containersWithPath((a.object as Pod | undefined)?.spec).filter(([c]) => c.imagePullPolicy !== 'Always');
    if (bad.length === 0) return;
    // admission.NewForbidden for each, returned as an aggregate: not a Status, so the client gets 500
    // with the aggregate's text (one message bare, several in brackets) and no reason.
    const name = a.generatedFrom ?? a.name;
    const msgs = bad.map(
      ([c, path]) =>
        newForbidden(
          { group: '', resource: 'pods' },
          name,
          formatFieldError(fieldErrors.notSupported(`${path}.imagePullPolicy`, c.imagePullPolicy ?? '', ['Always'])),
        ).message,
    );
    throw newNonStatusError(aggregateMessages(msgs));
  },
};
