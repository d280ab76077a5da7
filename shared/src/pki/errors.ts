// One error type for everything the PKI module refuses, with a stable code per cause so callers
// branch on `code`, never on message text. Messages never echo key material.

export type PkiErrorCode =
  | 'BadPem'
  | 'BadCertificate'
  | 'BadCsr'
  | 'BadCsrSignature'
  | 'UnsupportedKey'
  | 'UnsupportedKeyType'
  | 'KeyMismatch'
  | 'NotCA'
  | 'CAExpired'
  | 'InvalidRequest';

export class PkiError extends Error {
  override readonly name = 'PkiError';
  constructor(
    readonly code: PkiErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Runs a parser and turns anything it throws that is not already a PkiError into one with `code`. */
export function asPkiError<T>(code: PkiErrorCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof PkiError) throw e;
    throw new PkiError(code, `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
