// VolumeAttachment validation (pkg/apis/storage/validation ValidateVolumeAttachment, the create-only
// ValidateVolumeAttachmentV1, and ValidateVolumeAttachmentUpdate), with upstream's paths and
// messages. The name is a DNS subdomain, which the generic registry checks.
import type { VolumeAttachment, VolumeAttachmentSpec, VolumeError } from '@mkube/shared/api';
import { type FieldError, fieldErrors, GoSyntax } from '@mkube/shared/apierrors';
import { isDNS1123Subdomain } from '@mkube/shared/selectors';
import { semanticEqual } from '../../util/json.js';
import { FIELD_IMMUTABLE_ERROR_MSG } from '../../validation/objectmeta.js';
import { validateCSIDriverName } from '../core/persistentvolumesource.js';
import { validateInlineVolumeSpec } from './inlinevolumevalidation.js';

const MAX_ATTACHMENT_METADATA_SIZE = 256 * 1024;
const MAX_VOLUME_ERROR_MESSAGE_SIZE = 1024;
const MAX_INT32 = 2 ** 31 - 1;
const EXACTLY_ONE = 'must specify exactly one of inlineVolumeSpec and persistentVolumeName';

const set = (v: unknown) => v !== undefined && v !== null;
const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function validateSource(spec: VolumeAttachmentSpec): FieldError[] {
  const src = spec.source ?? {};
  const hasPV = set(src.persistentVolumeName);
  const hasInline = set(src.inlineVolumeSpec);
  if (!hasPV && !hasInline) return [fieldErrors.required('spec.source', EXACTLY_ONE)];
  if (hasPV && hasInline) return [fieldErrors.forbidden('spec.source', EXACTLY_ONE)];
  if (hasPV) {
    return src.persistentVolumeName
      ? []
      : [fieldErrors.required('spec.source.persistentVolumeName', 'must specify non empty persistentVolumeName')];
  }
  return validateInlineVolumeSpec(src.inlineVolumeSpec!, 'spec.source.inlineVolumeSpec');
}

/**
 * validateVolumeError. Upstream reports an overlong message against the metadata limit (256 KiB),
 * not the 1024 bytes it checks; the message says what upstream's says.
 */
function validateVolumeError(e: VolumeError | undefined, at: string): FieldError[] {
  if (!set(e)) return [];
  const errs: FieldError[] = [];
  if (bytes(e!.message ?? '') > MAX_VOLUME_ERROR_MESSAGE_SIZE) {
    errs.push(fieldErrors.tooLong(`${at}.message`, MAX_ATTACHMENT_METADATA_SIZE));
  }
  if (set(e!.errorCode) && e!.errorCode! < 0) {
    errs.push(fieldErrors.invalid(`${at}.errorCode`, e!.errorCode, `must be between 0 and ${MAX_INT32}, inclusive`));
  }
  return errs;
}

function validateStatus(va: VolumeAttachment): FieldError[] {
  const status = va.status ?? { attached: false };
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(status.attachmentMetadata ?? {})) size += bytes(k) + bytes(String(v ?? ''));
  if (size > MAX_ATTACHMENT_METADATA_SIZE) {
    errs.push(fieldErrors.tooLong('status.attachmentMetadata', MAX_ATTACHMENT_METADATA_SIZE));
  }
  errs.push(...validateVolumeError(status.attachError, 'status.attachError'));
  errs.push(...validateVolumeError(status.detachError, 'status.detachError'));
  return errs;
}

/** ValidateVolumeAttachment: what every write (create, update, /status) must satisfy. */
export function validateVolumeAttachment(va: VolumeAttachment): FieldError[] {
  const spec = va.spec ?? ({} as VolumeAttachmentSpec);
  const errs: FieldError[] = [];
  if (!spec.attacher) errs.push(fieldErrors.required('spec.attacher', ''));
  errs.push(...validateSource(spec));
  const node = spec.nodeName ?? '';
  for (const m of isDNS1123Subdomain(node)) errs.push(fieldErrors.invalid('spec.nodeName', node, m));
  errs.push(...validateStatus(va));
  return errs;
}

/** ValidateVolumeAttachmentV1: the tighter checks v1 applies to new objects only. */
export function validateNewVolumeAttachment(va: VolumeAttachment): FieldError[] {
  const errs = validateVolumeAttachment(va);
  errs.push(...validateCSIDriverName(va.spec?.attacher ?? '', 'spec.attacher'));
  const pv = va.spec?.source?.persistentVolumeName;
  if (set(pv)) {
    for (const m of isDNS1123Subdomain(pv!)) errs.push(fieldErrors.invalid('spec.source.persistentVolumeName', pv, m));
  }
  return errs;
}

/** %#v of a storage.VolumeAttachmentSpec, pointers printed as the addresses Go would show. */
function goSpec(spec: VolumeAttachmentSpec): GoSyntax {
  const src = spec.source ?? {};
  const pv = set(src.persistentVolumeName) ? '(*string)(0xc000000000)' : '(*string)(nil)';
  const inline = set(src.inlineVolumeSpec)
    ? '(*core.PersistentVolumeSpec)(0xc000000000)'
    : '(*core.PersistentVolumeSpec)(nil)';
  return new GoSyntax(
    `storage.VolumeAttachmentSpec{Attacher:${JSON.stringify(spec.attacher ?? '')}, Source:storage.VolumeAttachmentSource{PersistentVolumeName:${pv}, InlineVolumeSpec:${inline}}, NodeName:${JSON.stringify(spec.nodeName ?? '')}}`,
  );
}

/** ValidateVolumeAttachmentUpdate: the spec is read-only (so the generation never moves). */
export function validateVolumeAttachmentUpdate(va: VolumeAttachment, old: VolumeAttachment): FieldError[] {
  const errs = validateVolumeAttachment(va);
  if (!semanticEqual(va.spec, old.spec)) {
    errs.push(fieldErrors.invalid('spec', goSpec(va.spec ?? ({} as VolumeAttachmentSpec)), FIELD_IMMUTABLE_ERROR_MSG));
  }
  return errs;
}
