// Container probes and lifecycle hooks: core/v1's defaults (SetDefaults_Probe,
// SetDefaults_HTTPGetAction) and validation (validateProbe, validateLifecycle, validateHandler, and
// the per-kind rules of validateContainers), with upstream's field paths and messages.
import type { Container, LifecycleHandler, Probe } from '@mkube/shared/api';
import { type FieldError, fieldErrors } from '@mkube/shared/apierrors';
import { isValidPortName, regexError } from '@mkube/shared/selectors';

const PORT_RANGE = 'must be between 1 and 65535, inclusive';
const HTTP_HEADER_NAME = /^[-A-Za-z0-9]+$/;
const HTTP_HEADER_NAME_MSG = regexError(
  "a valid HTTP header must consist of alphanumeric characters or '-'",
  '[-A-Za-z0-9]+',
  'X-Header-Name',
);
const SCHEMES = ['HTTP', 'HTTPS'] as const;
const HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'] as const;

const isPortNumber = (p: unknown): boolean => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;

function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'string') {
    if (port === '') return [fieldErrors.required(path)];
    return isValidPortName(port).map((m) => fieldErrors.invalid(path, port, m));
  }
  return isPortNumber(port) ? [] : [fieldErrors.invalid(path, port, PORT_RANGE)];
}

type Handler = Probe & LifecycleHandler;

function validateHandler(p: Handler, path: string, graceSeconds?: number): FieldError[] {
  const errs: FieldError[] = [];
  const set = HANDLERS.filter((h) => p[h] !== undefined && p[h] !== null);
  if (set.length === 0) return [fieldErrors.required(path, 'must specify a handler type')];
  for (const extra of set.slice(1))
    errs.push(fieldErrors.forbidden(`${path}.${extra}`, 'may not specify more than 1 handler type'));
  switch (set[0]) {
    case 'exec':
      if (!p.exec?.command?.length) errs.push(fieldErrors.required(`${path}.exec.command`));
      break;
    case 'httpGet': {
      const g = p.httpGet!;
      if (!g.path) errs.push(fieldErrors.required(`${path}.httpGet.path`));
      errs.push(...validatePortNumOrName(g.port, `${path}.httpGet.port`));
      if (g.scheme && !(SCHEMES as readonly string[]).includes(g.scheme))
        errs.push(fieldErrors.notSupported(`${path}.httpGet.scheme`, g.scheme, SCHEMES));
      (g.httpHeaders ?? []).forEach((h, i) => {
        if (!HTTP_HEADER_NAME.test(h.name ?? ''))
          errs.push(fieldErrors.invalid(`${path}.httpGet.httpHeaders[${i}].name`, h.name, HTTP_HEADER_NAME_MSG));
      });
      break;
    }
    case 'tcpSocket':
      errs.push(...validatePortNumOrName(p.tcpSocket!.port, `${path}.tcpSocket.port`));
      break;
    case 'grpc':
      if (!isPortNumber(p.grpc!.port)) errs.push(fieldErrors.invalid(`${path}.grpc.port`, p.grpc!.port, PORT_RANGE));
      break;
    case 'sleep': {
      // PodLifecycleSleepActionAllowZero (on by default in 1.33): 0 is allowed.
      const seconds = p.sleep!.seconds;
      if (graceSeconds !== undefined && (seconds < 0 || seconds > graceSeconds))
        errs.push(
          fieldErrors.invalid(
            `${path}.sleep`,
            seconds,
            `must be non-negative and less than terminationGracePeriodSeconds (${graceSeconds})`,
          ),
        );
      break;
    }
  }
  return errs;
}

function validateProbe(p: Probe, path: string): FieldError[] {
  if ((p as Handler).sleep) return [fieldErrors.forbidden(`${path}.sleep`, 'may not be set for probes')];
  const errs = validateHandler(p, path);
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ] as const) {
    const v = p[f];
    if (v !== undefined && v < 0)
      errs.push(fieldErrors.invalid(`${path}.${f}`, v, 'must be greater than or equal to 0'));
  }
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds <= 0)
    errs.push(
      fieldErrors.invalid(
        `${path}.terminationGracePeriodSeconds`,
        p.terminationGracePeriodSeconds,
        'must be greater than 0',
      ),
    );
  return errs;
}

type ContainerKind = 'container' | 'init' | 'ephemeral';

/**
 * Probes and lifecycle hooks belong to regular containers and sidecars (restartable init
 * containers): on a plain init or an ephemeral container, the field is forbidden.
 */
function notAllowed(c: Container, kind: ContainerKind, field: string): FieldError | undefined {
  if (kind === 'container' || (kind === 'init' && c.restartPolicy === 'Always')) return undefined;
  return fieldErrors.forbidden(
    field,
    kind === 'init'
      ? 'may not be set for init containers without restartPolicy=Always'
      : 'cannot be set for an Ephemeral Container',
  );
}

/**
 * A container's probes: liveness and startup need successThreshold 1, readiness takes no
 * terminationGracePeriodSeconds; none on plain init or ephemeral containers.
 */
export function validateContainerProbes(c: Container, path: string, kind: ContainerKind): FieldError[] {
  const errs: FieldError[] = [];
  const probes = [
    ['livenessProbe', c.livenessProbe],
    ['readinessProbe', c.readinessProbe],
    ['startupProbe', c.startupProbe],
  ] as const;
  for (const [name, p] of probes) {
    if (!p) continue;
    const refused = notAllowed(c, kind, `${path}.${name}`);
    if (refused) {
      errs.push(refused);
      continue;
    }
    errs.push(...validateProbe(p, `${path}.${name}`));
    if (name !== 'readinessProbe' && p.successThreshold !== undefined && p.successThreshold !== 1)
      errs.push(fieldErrors.invalid(`${path}.${name}.successThreshold`, p.successThreshold, 'must be 1'));
    if (name === 'readinessProbe' && p.terminationGracePeriodSeconds !== undefined)
      errs.push(
        fieldErrors.invalid(
          `${path}.${name}.terminationGracePeriodSeconds`,
          p.terminationGracePeriodSeconds,
          'must not be set for readinessProbes',
        ),
      );
  }
  return errs;
}

/**
 * postStart and preStop: one handler each (exec, httpGet, tcpSocket or sleep; a sleep within the
 * pod's grace period); none on an init container that is not a sidecar.
 */
export function validateLifecycle(
  c: Container,
  path: string,
  kind: ContainerKind,
  graceSeconds: number | undefined,
): FieldError[] {
  const l = c.lifecycle;
  if (!l) return [];
  const refused = notAllowed(c, kind, `${path}.lifecycle`);
  if (refused) return [refused];
  const errs: FieldError[] = [];
  for (const hook of ['postStart', 'preStop'] as const) {
    const h = l[hook];
    if (!h) continue;
    if ((h as Handler).grpc) {
      errs.push(fieldErrors.forbidden(`${path}.lifecycle.${hook}.grpc`, 'may not be set for lifecycle hooks'));
      continue;
    }
    errs.push(...validateHandler(h as Handler, `${path}.lifecycle.${hook}`, graceSeconds));
  }
  return errs;
}
