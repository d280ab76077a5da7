// VolumeBindingArgs (kubescheduler.config.k8s.io/v1): how long PreBind waits for the PV controller.

export interface VolumeBindingArgs {
  readonly bindTimeoutSeconds: number;
}

/** SetDefaults_VolumeBindingArgs: 600 seconds. */
export const DEFAULT_BIND_TIMEOUT_SECONDS = 600;

export const defaultVolumeBindingArgs = (): VolumeBindingArgs => ({ bindTimeoutSeconds: DEFAULT_BIND_TIMEOUT_SECONDS });
