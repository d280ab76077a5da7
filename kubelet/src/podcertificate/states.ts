// Where one podCertificate projection stands, as the kubelet's podcertificate manager tracks it:
//
//   initial ──► wait ──► fresh ──► waitrefresh ──► fresh …
//                 │                     │
//                 └──► denied / failed ◄┘   (permanent)
//
// Kept in memory only: a restarted kubelet requests every certificate again. The private keys stay
// in these records and the pod's files, never in logs.
import { goQuote } from './helpers.js';

/** No request yet. */
export interface InitialState {
  readonly kind: 'initial';
}

/** The first request is out; its key waits for the certificate. */
export interface WaitState {
  readonly kind: 'wait';
  readonly privateKey: Buffer;
  readonly pcrName: string;
  /** Not in the watch by then (ms since the epoch): assumed deleted, and requested again. */
  readonly abandonAt: number;
}

export interface DeniedState {
  readonly kind: 'denied';
  readonly reason: string;
  readonly message: string;
}

export interface FailedState {
  readonly kind: 'failed';
  readonly reason: string;
  readonly message: string;
}

/** An issued credential, served as it is. */
export interface FreshState {
  readonly kind: 'fresh';
  readonly privateKey: Buffer;
  readonly certChain: Buffer;
  /** status.beginRefreshAt plus jitter, ms since the epoch. */
  readonly beginRefreshAt: number;
  readonly notAfter: number;
  /** The Warning Events, once per credential. */
  overdueEventEmitted: boolean;
  expiredEventEmitted: boolean;
}

/** A refresh request is out with a new key; the current credential is served until it is issued. */
export interface WaitRefreshState extends Omit<FreshState, 'kind'> {
  readonly kind: 'waitrefresh';
  readonly refreshPrivateKey: Buffer;
  readonly refreshPCRName: string;
  readonly refreshAbandonAt: number;
}

export type CredState = InitialState | WaitState | DeniedState | FailedState | FreshState | WaitRefreshState;

/** What a projected volume writes: the PKCS#8 key and the chain, leaf first. */
export interface CredentialBundle {
  readonly privateKey: Buffer;
  readonly certificateChain: Buffer;
}

/** A projection with nothing to serve: the volume fails to set up with this message, and is retried. */
export class CredentialUnavailableError extends Error {
  override readonly name = 'CredentialUnavailableError';
}

/** getCredBundle: the credential, or upstream's message for why there is none. */
export function credentialBundleOf(s: CredState): CredentialBundle {
  switch (s.kind) {
    case 'initial':
    case 'wait':
      throw new CredentialUnavailableError('credential bundle is not issued yet');
    case 'denied':
      throw new CredentialUnavailableError(
        `PodCertificateRequest was permanently denied: reason=${goQuote(s.reason)} message=${goQuote(s.message)}`,
      );
    case 'failed':
      throw new CredentialUnavailableError(
        `PodCertificateRequest was permanently failed: reason=${goQuote(s.reason)} message=${goQuote(s.message)}`,
      );
    case 'fresh':
    case 'waitrefresh':
      return { privateKey: s.privateKey, certificateChain: s.certChain };
  }
}

/** REFRESH_OVERDUE_MS after beginRefreshAt a credential not yet replaced is overdue. */
export const REFRESH_OVERDUE_MS = 10 * 60_000;

/** The `state` label of kubelet_podcertificate_states. */
export function metricsStateOf(s: CredState, now: number): string {
  switch (s.kind) {
    case 'initial':
    case 'wait':
      return 'not_yet_issued';
    case 'denied':
      return 'denied';
    case 'failed':
      return 'failed';
    case 'fresh':
    case 'waitrefresh':
      if (now > s.notAfter) return 'expired';
      if (now > s.beginRefreshAt + REFRESH_OVERDUE_MS) return 'overdue_for_refresh';
      return 'fresh';
  }
}
