// The core/v1 defaults of a Pod (pkg/apis/core/v1/defaults.go and the generated defaulters): what
// `kubectl get pod -o yaml` shows although nobody sent it. Upstream applies them when it decodes a
// request body, so a create and every update (a PUT of what was read back without them, a patch)
// see the same defaulted spec; the pod strategy runs them at both.
import {
  type Container,
  type HTTPGetAction,
  type Pod,
  type PodSpec,
  type Probe,
  TERMINATION_MESSAGE_PATH_DEFAULT,
  type Volume,
} from '@mkube/shared/api';

/** The mode secret, configMap, downwardAPI and projected volumes default to (0644). */
const VOLUME_DEFAULT_MODE = 0o644;

// distribution/reference's grammar, as parsers.ParseImageName reads an image through it.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?`;
const REFERENCE = new RegExp(
  `^((?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}))?$`,
);
const NAME_TOTAL_MAX = 255;

/**
 * The tag parsers.ParseImageName gives an image: its own, "latest" when it names neither a tag nor
 * a digest, and "" when it only has a digest or does not parse (upstream ignores the error there).
 */
export function imageTag(image: string): string {
  const m = REFERENCE.exec(image);
  if (!m || m[1]!.length > NAME_TOTAL_MAX) return '';
  if (m[2]) return m[2];
  return m[3] ? '' : 'latest';
}

function defaultHttpGet(a: HTTPGetAction | undefined): void {
  if (!a) return;
  if (!a.path) a.path = '/';
  if (!a.scheme) a.scheme = 'HTTP';
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  defaultHttpGet(p.httpGet);
}

/** SetDefaults_ObjectFieldSelector, wherever a fieldRef is (env, downwardAPI items). */
function defaultFieldRef(ref: { apiVersion?: string } | undefined): void {
  if (ref && !ref.apiVersion) ref.apiVersion = 'v1';
}

/** SetDefaults_Container (and the ports' +default="TCP"), for regular, init and ephemeral containers. */
function defaultContainer(c: Container): void {
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(c.image ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
  if (!c.terminationMessagePath) c.terminationMessagePath = TERMINATION_MESSAGE_PATH_DEFAULT;
  if (!c.terminationMessagePolicy) c.terminationMessagePolicy = 'File';
  for (const p of c.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
  for (const e of c.env ?? []) defaultFieldRef(e.valueFrom?.fieldRef);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHttpGet(c.lifecycle?.postStart?.httpGet);
  defaultHttpGet(c.lifecycle?.preStop?.httpGet);
}

/** SetDefaults_Volume and the defaults of the sources mkube's kubelet mounts. */
function defaultVolume(v: Volume): void {
  const { name: _name, ...source } = v;
  if (Object.values(source).every((s) => s === undefined || s === null)) v.emptyDir = {};
  if (v.secret) v.secret.defaultMode ??= VOLUME_DEFAULT_MODE;
  if (v.configMap) v.configMap.defaultMode ??= VOLUME_DEFAULT_MODE;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= VOLUME_DEFAULT_MODE;
    for (const i of v.downwardAPI.items ?? []) defaultFieldRef(i.fieldRef);
  }
  if (v.hostPath) v.hostPath.type ??= '';
  if (v.projected) {
    v.projected.defaultMode ??= VOLUME_DEFAULT_MODE;
    for (const src of v.projected.sources ?? []) {
      if (src.serviceAccountToken) src.serviceAccountToken.expirationSeconds ??= 3600;
      for (const i of src.downwardAPI?.items ?? []) defaultFieldRef(i.fieldRef);
    }
  }
}

/** SetDefaults_PodSpec: the fields every object with a PodSpec gets. */
function defaultPodSpec(spec: PodSpec): void {
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  spec.securityContext ??= {};
  spec.terminationGracePeriodSeconds ??= 30;
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
}

/** Requests default to the limits a container sets without them (SetDefaults_Pod). */
function defaultRequestsFromLimits(c: Container): void {
  const limits = c.resources?.limits;
  if (!limits) return;
  c.resources!.requests ??= {};
  const requests = c.resources!.requests;
  for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v;
}

/**
 * The v1 conversion of the deprecated `serviceAccount`: read when `serviceAccountName` is empty,
 * and written out as its copy (Convert_v1_PodSpec_To_core_PodSpec and back).
 */
export function convertDeprecatedServiceAccount(spec: PodSpec): void {
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
}

/**
 * The defaults a PodTemplateSpec's spec gets (apps/v1 and batch/v1 templates): SetDefaults_PodSpec and
 * the containers' and volumes' own, not SetDefaults_Pod's (enableServiceLinks, requests from limits,
 * host ports), which only a Pod materializes.
 */
export function defaultPodTemplateSpec(spec: PodSpec | undefined): void {
  if (!spec) return;
  convertDeprecatedServiceAccount(spec);
  defaultPodSpec(spec);
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])])
    defaultContainer(c);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

/** All of a Pod's v1 defaults, in place. */
export function defaultPod(pod: Pod): void {
  const spec = pod.spec;
  if (!spec) return;
  convertDeprecatedServiceAccount(spec);
  defaultPodSpec(spec);
  spec.enableServiceLinks ??= true;
  // SetDefaults_Pod's rules for regular and init containers (not ephemeral ones).
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    defaultRequestsFromLimits(c);
    if (spec.hostNetwork) for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
  }
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])])
    defaultContainer(c);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}
