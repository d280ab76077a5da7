// GET /version (apimachinery version.Info). A 1.33 server: kubectl 1.32–1.33 see no skew, older
// clients only print kubectl's skew warning, which is not an error.
import type { VersionInfo } from '@mkube/shared/api';

export const KUBERNETES_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.0-mkube' } as const;

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };

export function versionInfo(buildDate = '2026-01-01T00:00:00Z'): VersionInfo {
  return {
    major: KUBERNETES_VERSION.major,
    minor: KUBERNETES_VERSION.minor,
    emulationMajor: KUBERNETES_VERSION.major,
    emulationMinor: KUBERNETES_VERSION.minor,
    minCompatibilityMajor: KUBERNETES_VERSION.major,
    minCompatibilityMinor: '32',
    gitVersion: KUBERNETES_VERSION.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate,
    goVersion: `node${process.versions.node}`,
    compiler: 'tsx',
    platform: `${process.platform}/${ARCH[process.arch] ?? process.arch}`,
  };
}
