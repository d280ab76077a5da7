// storage.k8s.io/v1 VolumeAttachment (pkg/registry/storage/volumeattachment/strategy.go):
// cluster-scoped; whoever asks for an attach writes the spec, which never changes, and the external
// attacher reports through /status. A PUT must name the resourceVersion it replaces. The spec's
// strings and status.attached have no omitempty upstream, so they always read back.
import type { VolumeAttachment, VolumeAttachmentStatus, VolumeError } from '@mkube/shared/api';
import type { RESTStrategy, SubresourceStrategy } from '../strategy.js';
import { validateNewVolumeAttachment, validateVolumeAttachmentUpdate } from './volumeattachmentvalidation.js';

function normalizeSpec(va: VolumeAttachment): void {
  va.spec ??= { attacher: '', nodeName: '', source: {} };
  va.spec.attacher ??= '';
  va.spec.source ??= {};
  va.spec.nodeName ??= '';
}

/**
 * errorCode belongs to MutableCSINodeAllocatableCount, alpha and off in 1.33: dropped unless the
 * stored error already has one.
 */
function dropDisabledErrorCode(e: VolumeError | undefined, old: VolumeError | undefined): void {
  if (e && old?.errorCode == null) delete e.errorCode;
}

export const volumeAttachmentStrategy: RESTStrategy<VolumeAttachment> = {
  prepareForCreate(va) {
    normalizeSpec(va);
    va.status = { attached: false };
  },
  prepareForUpdate(va, old) {
    normalizeSpec(va);
    va.status = old.status ?? { attached: false };
  },
  validate: (va) => validateNewVolumeAttachment(va),
  validateUpdate: (va, old) => validateVolumeAttachmentUpdate(va, old),
  allowUnconditionalUpdate: false,
};

export const volumeAttachmentStatusStrategy: SubresourceStrategy<VolumeAttachment> = {
  prepareForUpdate(va, old) {
    va.spec = old.spec;
    const status: VolumeAttachmentStatus = { ...va.status, attached: va.status?.attached ?? false };
    dropDisabledErrorCode(status.attachError, old.status?.attachError);
    dropDisabledErrorCode(status.detachError, old.status?.detachError);
    va.status = status;
  },
  validateUpdate: (va, old) => validateVolumeAttachmentUpdate(va, old),
};
