// The kubeconfig file as client-go's clientcmd v1 defines it (tools/clientcmd/api/v1/types.go),
// keeping kubectl's own key names.
export interface KubeconfigCluster {
  server: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
  /** Named extensions (clientcmd v1 NamedExtension), kept as read and written back unchanged. */
  extensions?: NamedExtension[];
}

/** An extension entry: kubectl ignores the ones it does not know, so the file stays a valid kubeconfig. */
export interface NamedExtension {
  name: string;
  /** Any JSON value. */
  extension: unknown;
}

/**
 * The cluster extension listing every apiserver of a highly available control plane (all on one
 * etcd): `extension: {servers: [https://…, https://…]}`. Clients fail over between them; the
 * cluster's `server` stays the preferred one.
 */
export const APISERVERS_EXTENSION = 'mkube.io/apiservers';

export interface KubeconfigUser {
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  /** A client-go credential plugin (clientcmd v1 ExecConfig). */
  exec?: ExecConfig;
  /**
   * The removed in-tree auth providers (gcp, azure, oidc…): kept as read so that a file naming one
   * still loads, and refused when the chosen user has one (mkube has no in-tree providers).
   */
  'auth-provider'?: { name: string; config?: Record<string, string> };
}

/** The ExecCredential versions client-go still speaks (v1alpha1 was removed in 1.24). */
export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'] as const;
export type ExecApiVersion = (typeof EXEC_API_VERSIONS)[number];

export type ExecInteractiveMode = 'Never' | 'IfAvailable' | 'Always';

/** clientcmd v1 ExecConfig: a command printing an ExecCredential on stdout. */
export interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  apiVersion: ExecApiVersion;
  installHint?: string;
  provideClusterInfo?: boolean;
  /** Required in v1; v1beta1 files without it read as IfAvailable, as clientcmd defaults them. */
  interactiveMode: ExecInteractiveMode;
}

/** The cluster extension handed to a plugin as `spec.cluster.config` when provideClusterInfo is set. */
export const EXEC_CLUSTER_EXTENSION = 'client.authentication.k8s.io/exec';

export interface KubeconfigContext {
  cluster: string;
  user: string;
  namespace?: string;
}

export interface Kubeconfig {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: { name: string; cluster: KubeconfigCluster }[];
  users: { name: string; user: KubeconfigUser }[];
  contexts: { name: string; context: KubeconfigContext }[];
  'current-context': string;
  preferences: Record<string, unknown>;
  /** The file it was read from; relative paths inside resolve against its folder. Not serialised. */
  readonly source?: string;
}

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
  constructor(
    readonly file: string | undefined,
    readonly field: string | undefined,
    problem: string,
  ) {
    super(`${file ? `kubeconfig ${file}` : 'kubeconfig'}${field ? `: ${field}` : ''}: ${problem}`);
  }
}
