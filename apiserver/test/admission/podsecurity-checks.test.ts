// The Pod Security Standards checks and the evaluator, without a server: upstream's reasons and
// details (policy/check_*_test.go), the order of a message, versions, overrides, the label parsing
// and which pod updates are judged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, ObjectMeta, Pod, PodSpec } from '@mkube/shared/api';
import {
  aggregate,
  Evaluator,
  forbiddenDetail,
  forbiddenReason,
  isSignificantPodUpdate,
  LATEST,
  type Level,
  PRIVILEGED_POLICY,
  parsePodSecurityConfiguration,
  policyToEvaluate,
  type Version,
  v1,
} from '../../src/admission/plugins/podsecurity/index.ts';

const evaluator = new Evaluator();
const detail = (level: Level, spec: Partial<PodSpec>, meta: ObjectMeta = {}, version: Version = LATEST) =>
  forbiddenDetail(aggregate(evaluator.evaluate(level, version, meta, { containers: [], ...spec })));
const c = (
  name: string,
  securityContext?: Container['securityContext'],
  extra: Partial<Container> = {},
): Container => ({
  name,
  image: 'busybox',
  ...(securityContext ? { securityContext } : {}),
  ...extra,
});
/** A container that passes every restricted check. */
const good = (name: string): Container =>
  c(name, {
    allowPrivilegeEscalation: false,
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
    capabilities: { drop: ['ALL'] },
  });

describe('PodSecurity checks: upstream wording', () => {
  it('baseline: privileged, host namespaces, hostPorts, hostPath, capabilities, in check-ID order', () => {
    assert.equal(
      detail('baseline', {
        hostNetwork: true,
        hostPID: true,
        hostIPC: true,
        volumes: [
          { name: 'h1', hostPath: { path: '/' } },
          { name: 'e', emptyDir: {} },
          { name: 'h2', hostPath: { path: '/var' } },
        ],
        initContainers: [c('i', { privileged: true }, { ports: [{ containerPort: 80, hostPort: 80 }] })],
        containers: [
          c('a', { privileged: true, capabilities: { add: ['SYS_ADMIN', 'NET_ADMIN', 'CHOWN'] } }),
          c('b', { capabilities: { add: ['NET_ADMIN'] } }, { ports: [{ containerPort: 1, hostPort: 10000 }] }),
        ],
      }),
      'non-default capabilities (containers "a", "b" must not include "NET_ADMIN", "SYS_ADMIN" in securityContext.capabilities.add), ' +
        'host namespaces (hostNetwork=true, hostPID=true, hostIPC=true), ' +
        'hostPath volumes (volumes "h1", "h2"), ' +
        'hostPort (containers "i", "b" use hostPorts 10000, 80), ' +
        'privileged (containers "i", "a" must not set securityContext.privileged=true)',
    );
  });

  it('baseline: AppArmor fields and annotations, SELinux, procMount, seccomp, sysctls, hostProcess', () => {
    assert.equal(
      detail(
        'baseline',
        {
          securityContext: {
            appArmorProfile: { type: 'Unconfined' },
            seLinuxOptions: { type: 'foo', user: 'bar' },
            seccompProfile: { type: 'Unconfined' },
            sysctls: [
              { name: 'kernel.shm_rmid_forced', value: '1' },
              { name: 'kernel.msgmax', value: '1' },
              { name: 'net.ipv4.tcp_rmem', value: '1' },
              { name: 'net.core.somaxconn', value: '1' },
            ],
            windowsOptions: { hostProcess: true },
          },
          containers: [
            c('a', { procMount: 'Unmasked', seLinuxOptions: { type: 'container_engine_t' } }),
            c('b', { seLinuxOptions: { role: 'r' }, seccompProfile: { type: 'Unconfined' } }),
          ],
        },
        {
          annotations: {
            'container.apparmor.security.beta.kubernetes.io/a': 'unconfined',
            'container.apparmor.security.beta.kubernetes.io/b': 'localhost/x',
          },
        },
      ),
      'forbidden AppArmor profiles (pod and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/a="unconfined""), ' +
        'procMount (container "a" must not set securityContext.procMount to "Unmasked"), ' +
        'seLinuxOptions (pod and container "b" set forbidden securityContext.seLinuxOptions: type "foo"; user may not be set; role may not be set), ' +
        'seccompProfile (pod and container "b" must not set securityContext.seccompProfile.type to "Unconfined"), ' +
        'forbidden sysctls (kernel.msgmax, net.core.somaxconn), ' +
        'hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)',
    );
  });

  it('restricted: the baseline checks it keeps, then its own, each in check-ID order', () => {
    assert.equal(
      detail('restricted', {
        volumes: [
          { name: 'h', hostPath: { path: '/' } },
          { name: 'n', nfs: { server: 's', path: '/' } },
          { name: 'odd', somethingNew: {} },
          { name: 'ok', projected: { sources: [] } },
        ],
        containers: [
          c('c', { privileged: true, runAsUser: 0, capabilities: { add: ['NET_BIND_SERVICE', 'SYS_TIME'] } }),
          c('d', { allowPrivilegeEscalation: true, runAsNonRoot: false }),
        ],
      }),
      'privileged (container "c" must not set securityContext.privileged=true), ' +
        'allowPrivilegeEscalation != false (containers "c", "d" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (containers "c", "d" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "SYS_TIME" in securityContext.capabilities.add), ' +
        'restricted volume types (volumes "h", "n", "odd" use restricted volume types "hostPath", "nfs", "unknown"), ' +
        'runAsNonRoot != true (container "d" must not set securityContext.runAsNonRoot=false), ' +
        'runAsUser=0 (container "c" must not set runAsUser=0), ' +
        'seccompProfile (pod or containers "c", "d" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('restricted: a compliant pod passes; pod-level runAsNonRoot and seccomp cover the containers', () => {
    assert.equal(detail('restricted', { containers: [good('a')], initContainers: [good('i')] }), '');
    assert.equal(
      detail('restricted', {
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } },
        containers: [
          c('a', { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }),
        ],
      }),
      '',
    );
    assert.equal(
      detail('restricted', {
        securityContext: { runAsUser: 0 },
        containers: [good('a')],
        ephemeralContainers: [{ ...good('dbg'), securityContext: { ...good('dbg').securityContext, runAsUser: 0 } }],
      }),
      'runAsUser=0 (pod and container "dbg" must not set runAsUser=0)',
    );
  });

  it('privileged checks nothing; baseline does not ask for the restricted settings', () => {
    const spec = { hostPID: true, containers: [c('a', { privileged: true })] };
    assert.equal(detail('privileged', spec), '');
    assert.equal(detail('baseline', { containers: [c('a')] }), '');
    assert.equal(
      forbiddenReason(aggregate(evaluator.evaluate('baseline', LATEST, {}, spec))),
      'host namespaces, privileged',
    );
  });
});

describe('PodSecurity versions', () => {
  it('evaluates each check as of the policy version, and anything newer as the newest', () => {
    const addsSysTime = { containers: [c('a', { capabilities: { add: ['SYS_TIME'] } })] };
    // Before 1.22 restricted had no capabilities check of its own: the baseline one applies.
    assert.match(detail('restricted', addsSysTime, {}, v1(21)), /non-default capabilities/);
    assert.match(detail('restricted', addsSysTime, {}, v1(22)), /unrestricted capabilities/);
    assert.doesNotMatch(detail('restricted', addsSysTime, {}, v1(22)), /non-default/);
    // runAsUser=0 is a restricted rule from 1.23.
    const root = { containers: [{ ...good('a'), securityContext: { ...good('a').securityContext, runAsUser: 0 } }] };
    assert.equal(detail('restricted', root, {}, v1(22)), '');
    assert.match(detail('restricted', root, {}, v1(23)), /runAsUser=0/);
    // net.ipv4.tcp_rmem is safe from 1.32; a future version is evaluated as the newest known.
    const rmem = { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem', value: '1' }] } };
    assert.equal(detail('baseline', rmem, {}, v1(31)), 'forbidden sysctls (net.ipv4.tcp_rmem)');
    assert.equal(detail('baseline', rmem, {}, v1(32)), '');
    assert.equal(detail('baseline', rmem, {}, v1(99)), '');
    assert.deepEqual(evaluator.maxVersion, v1(32));
    // container_engine_t is an allowed SELinux type from 1.31.
    const engine = { containers: [c('a', { seLinuxOptions: { type: 'container_engine_t' } })] };
    assert.match(detail('baseline', engine, {}, v1(30)), /types? "container_engine_t"/);
    assert.equal(detail('baseline', engine, {}, v1(31)), '');
    // Before 1.19 seccomp was judged in the alpha annotations.
    const ann = { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined' } };
    assert.equal(
      detail('baseline', { containers: [c('a')] }, ann, v1(18)),
      'seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")',
    );
    assert.equal(detail('baseline', { containers: [c('a')] }, ann, v1(19)), '');
  });

  it('from 1.25 restricted admits Windows pods without the Linux-only settings', () => {
    const win = { os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [c('a')] };
    assert.equal(detail('restricted', win, {}, LATEST), '');
    assert.match(detail('restricted', win, {}, v1(24)), /allowPrivilegeEscalation != false/);
  });
});

describe('PodSecurity labels and configuration', () => {
  it('parses levels and versions; bad enforce is restricted, bad audit/warn privileged, with errors', () => {
    const { policy, errors } = policyToEvaluate(
      {
        'pod-security.kubernetes.io/enforce': 'Baseline',
        'pod-security.kubernetes.io/enforce-version': 'v1.2x',
        'pod-security.kubernetes.io/warn': 'nope',
        'pod-security.kubernetes.io/audit': 'baseline',
        'pod-security.kubernetes.io/audit-version': 'v1.29',
      },
      PRIVILEGED_POLICY,
    );
    assert.deepEqual(policy, {
      enforce: { level: 'restricted', version: LATEST },
      audit: { level: 'baseline', version: v1(29) },
      warn: { level: 'privileged', version: LATEST },
    });
    assert.deepEqual(
      errors.map((e) => `${e.field} ${e.badValue}: ${e.detail}`),
      [
        'metadata.labels[pod-security.kubernetes.io/enforce] Baseline: must be one of privileged, baseline, restricted',
        'metadata.labels[pod-security.kubernetes.io/enforce-version] v1.2x: must be "latest" or "v1.x"',
        'metadata.labels[pod-security.kubernetes.io/warn] nope: must be one of privileged, baseline, restricted',
      ],
    );
  });

  it('reads a PodSecurityConfiguration and refuses a bad one', () => {
    const cfg = parsePodSecurityConfiguration({
      apiVersion: 'pod-security.admission.config.k8s.io/v1',
      kind: 'PodSecurityConfiguration',
      defaults: { enforce: 'baseline', 'warn-version': 'v1.30', warn: 'restricted' },
      exemptions: { namespaces: ['kube-system'], usernames: ['admin'] },
    });
    assert.deepEqual(cfg.defaults.enforce, { level: 'baseline', version: LATEST });
    assert.deepEqual(cfg.defaults.warn, { level: 'restricted', version: v1(30) });
    assert.deepEqual(cfg.exemptions, { namespaces: ['kube-system'], usernames: ['admin'], runtimeClasses: [] });
    assert.throws(
      () =>
        parsePodSecurityConfiguration({
          apiVersion: 'pod-security.admission.config.k8s.io/v1',
          kind: 'PodSecurityConfiguration',
          defaults: { enforce: 'strict' },
        }),
      /defaults.enforce: Invalid value: "strict": must be one of privileged, baseline, restricted/,
    );
  });

  it('judges a pod update only when an image, a container count or an ephemeral container changes', () => {
    const pod: Pod = { metadata: { name: 'p', labels: { a: '1' } }, spec: { containers: [c('a')] } };
    const relabelled: Pod = { ...pod, metadata: { name: 'p', labels: { a: '2' } } };
    assert.equal(isSignificantPodUpdate(relabelled, pod), false);
    assert.equal(
      isSignificantPodUpdate({ ...pod, spec: { containers: [c('a', undefined, { image: 'x' })] } }, pod),
      true,
    );
    assert.equal(
      isSignificantPodUpdate({ ...pod, spec: { containers: [c('a')], ephemeralContainers: [c('d')] } }, pod),
      true,
    );
  });
});
