// A projected volume's sources (validateProjectedVolumeSource / validateProjectionSources of k/k
// pkg/apis/core/validation): one type per source, no path twice across the sources, local relative
// paths, bound-token lifetimes, a ClusterTrustBundle source naming one bundle or one signer, and a
// podCertificate source naming a signer, a key type and at least one file.
import type { KeyToPath, Volume, VolumeProjection } from '@mkube/shared/api';
import { POD_CERTIFICATE_KEY_TYPES } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { validateSignerName } from '@mkube/shared/certificates';
import { clusterTrustBundleName } from '../registry/certificates/clustertrustbundle.js';
import { MIN_MAX_EXPIRATION_SECONDS, maxExpirationFor } from '../registry/certificates/pcrvalidation.js';
import { validateLabelSelector } from '../registry/rbac/selector.js';
import { validateUserAnnotations } from './userannotations.js';

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';

/** validateLocalDescendingPath and the `..` prefix rule of ValidateLocalNonReservedPath. */
export function validateLocalNonReservedPath(target: string, at: string): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith('/')) errs.push(fieldErrors.invalid(at, target, 'must be a relative path'));
  if (target.split('/').includes('..')) errs.push(fieldErrors.invalid(at, target, "must not contain '..'"));
  else if (target.startsWith('..')) errs.push(fieldErrors.invalid(at, target, "must not start with '..'"));
  return errs;
}

function validateMode(mode: number | undefined, at: string): FieldError[] {
  return mode !== undefined && (mode > 0o777 || mode < 0) ? [fieldErrors.invalid(at, mode, FILE_MODE_ERROR)] : [];
}

function validateKeyToPath(kp: KeyToPath, at: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!kp.key) errs.push(fieldErrors.required(`${at}.key`));
  if (!kp.path) errs.push(fieldErrors.required(`${at}.path`));
  errs.push(...validateLocalNonReservedPath(kp.path ?? '', `${at}.path`));
  errs.push(...validateMode(kp.mode, `${at}.mode`));
  return errs;
}

/** extractSignerNameFromClusterTrustBundleName: `example.com:foo:bar` → `example.com/foo`. */
function signerOfBundleName(name: string): string | undefined {
  const i = name.lastIndexOf(':');
  return i < 0 ? undefined : name.slice(0, i).replaceAll(':', '/');
}

function validateClusterTrustBundleSource(
  ctb: NonNullable<VolumeProjection['clusterTrustBundle']>,
  at: string,
): FieldError[] {
  const errs: FieldError[] = [];
  const usingName = ctb.name !== undefined && ctb.name !== null;
  const usingSigner = ctb.signerName !== undefined && ctb.signerName !== null;
  if (usingName && usingSigner) {
    errs.push(fieldErrors.invalid(at, ctb, 'only one of name and signerName may be used'));
  } else if (usingName) {
    const name = ctb.name!;
    if (name === '') errs.push(fieldErrors.required(`${at}.name`, 'must be a valid object name'));
    for (const m of clusterTrustBundleName(signerOfBundleName(name))(name, false)) {
      errs.push(fieldErrors.invalid(`${at}.name`, name, `not a valid clustertrustbundlename: ${m}`));
    }
    if (ctb.labelSelector !== undefined && ctb.labelSelector !== null) {
      errs.push(
        fieldErrors.invalid(
          `${at}.labelSelector`,
          ctb.labelSelector,
          'labelSelector must be unset if name is specified',
        ),
      );
    }
  } else if (usingSigner) {
    if (ctb.signerName === '') errs.push(fieldErrors.required(`${at}.signerName`, 'must be a valid signer name'));
    errs.push(...validateSignerName(`${at}.signerName`, ctb.signerName!));
    errs.push(
      ...validateLabelSelector(ctb.labelSelector, { allowInvalidLabelValueInSelector: false }, `${at}.labelSelector`),
    );
  } else {
    errs.push(fieldErrors.required(at, 'either name or signerName must be specified'));
  }
  if (!ctb.path) errs.push(fieldErrors.required(`${at}.path`));
  errs.push(...validateLocalNonReservedPath(ctb.path ?? '', `${at}.path`));
  return errs;
}

/** The podCertificate source's own rules; its paths are claimed by the caller. */
function validatePodCertificateSource(pc: NonNullable<VolumeProjection['podCertificate']>, at: string): FieldError[] {
  const errs = validateSignerName(`${at}.signerName`, pc.signerName);
  if (pc.userAnnotations != null) errs.push(...validateUserAnnotations(pc.userAnnotations, `${at}.userAnnotations`));
  if (!(POD_CERTIFICATE_KEY_TYPES as readonly string[]).includes(pc.keyType)) {
    errs.push(fieldErrors.notSupported(`${at}.keyType`, pc.keyType ?? '', POD_CERTIFICATE_KEY_TYPES));
  }
  const secs = pc.maxExpirationSeconds;
  if (secs !== undefined && secs !== null) {
    if (secs < MIN_MAX_EXPIRATION_SECONDS) {
      errs.push(
        fieldErrors.invalid(
          `${at}.maxExpirationSeconds`,
          secs,
          `if provided, maxExpirationSeconds must be >= ${MIN_MAX_EXPIRATION_SECONDS}`,
        ),
      );
    }
    const max = maxExpirationFor(pc.signerName ?? '');
    if (secs > max) {
      errs.push(
        fieldErrors.invalid(`${at}.maxExpirationSeconds`, secs, `if provided, maxExpirationSeconds must be <= ${max}`),
      );
    }
  }
  return errs;
}

/** `at` is the volume's `projected` path, e.g. `spec.volumes[0].projected`. */
export function validateProjectedVolume(projected: NonNullable<Volume['projected']>, at: string): FieldError[] {
  const errs = validateMode(projected.defaultMode, `${at}.defaultMode`);
  const paths = new Set<string>();
  // Upstream reports a duplicate at the volume's projected path with the source's name or path.
  const claim = (path: string | undefined, badValue: unknown) => {
    if (!path) return;
    if (paths.has(path)) errs.push(fieldErrors.invalid(at, badValue, 'conflicting duplicate paths'));
    paths.add(path);
  };
  (projected.sources ?? []).forEach((src, i) => {
    const sp = `${at}.sources[${i}]`;
    let kinds = 0;
    if (src.secret) {
      kinds++;
      if (!src.secret.name) errs.push(fieldErrors.required(`${sp}.secret.name`));
      (src.secret.items ?? []).forEach((kp, j) => {
        errs.push(...validateKeyToPath(kp, `${sp}.secret.items[${j}]`));
        claim(kp.path, src.secret!.name ?? '');
      });
    }
    if (src.configMap) {
      kinds++;
      if (!src.configMap.name) errs.push(fieldErrors.required(`${sp}.configMap.name`));
      (src.configMap.items ?? []).forEach((kp, j) => {
        errs.push(...validateKeyToPath(kp, `${sp}.configMap.items[${j}]`));
        claim(kp.path, src.configMap!.name ?? '');
      });
    }
    if (src.downwardAPI) {
      kinds++;
      for (const f of src.downwardAPI.items ?? []) {
        if (!f.path) errs.push(fieldErrors.required(`${sp}.downwardAPI.path`));
        errs.push(...validateLocalNonReservedPath(f.path ?? '', `${sp}.downwardAPI.path`));
        errs.push(...validateMode(f.mode, `${sp}.downwardAPI.mode`));
        claim(f.path, f.path);
      }
    }
    if (src.serviceAccountToken) {
      kinds++;
      const t = src.serviceAccountToken;
      const secs = t.expirationSeconds ?? 0;
      if (secs < 600) {
        errs.push(
          fieldErrors.invalid(
            `${sp}.serviceAccountToken.expirationSeconds`,
            secs,
            'may not specify a duration less than 10 minutes',
          ),
        );
      }
      if (secs > 2 ** 32) {
        errs.push(
          fieldErrors.invalid(
            `${sp}.serviceAccountToken.expirationSeconds`,
            secs,
            'may not specify a duration larger than 2^32 seconds',
          ),
        );
      }
      // Upstream names these at the volume's path, not the source's.
      if (!t.path) errs.push(fieldErrors.required(`${at}.path`));
      else errs.push(...validateLocalNonReservedPath(t.path, `${at}.path`));
    }
    if (src.clusterTrustBundle) {
      kinds++;
      errs.push(...validateClusterTrustBundleSource(src.clusterTrustBundle, `${sp}.clusterTrustBundlePEM`));
      if (src.clusterTrustBundle.path !== undefined) {
        const p = src.clusterTrustBundle.path;
        if (paths.has(p)) errs.push(fieldErrors.invalid(at, p, 'conflicting duplicate paths'));
        paths.add(p);
      }
    }
    if (src.podCertificate) {
      kinds++;
      const pc = src.podCertificate;
      const pp = `${sp}.podCertificate`;
      errs.push(...validatePodCertificateSource(pc, pp));
      const files = [
        ['credentialBundlePath', pc.credentialBundlePath],
        ['keyPath', pc.keyPath],
        ['certificateChainPath', pc.certificateChainPath],
      ] as const;
      let named = 0;
      for (const [field, path] of files) {
        if (!path) continue;
        named++;
        errs.push(...validateLocalNonReservedPath(path, `${pp}.${field}`));
        if (paths.has(path)) errs.push(fieldErrors.invalid(at, path, 'conflicting duplicate paths'));
        paths.add(path);
      }
      if (named === 0) {
        errs.push(
          fieldErrors.required(pp, 'specify at least one of credentialBundlePath, keyPath, and certificateChainPath'),
        );
      }
    }
    if (kinds > 1) errs.push(fieldErrors.forbidden(sp, 'may not specify more than 1 volume type'));
  });
  return errs;
}
