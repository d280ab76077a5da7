// `mkube podcert-signer`: a signer for PodCertificateRequests (KEP-4317), for trying `podCertificate`
// projected volumes. Kubernetes ships none (kubernetes.io/kube-apiserver-client-pod is documented as
// unimplemented); this one issues SPIFFE certificates as upstream's hermetic test signer does.
import { resolve } from 'node:path';
import { fieldErrorBody } from '@mkube/shared/apierrors';
import { validateSignerName } from '@mkube/shared/certificates';
import { createClient } from '@mkube/shared/client';
import { clientOptionsFrom, loadKubeconfig, resolveCredentials } from '@mkube/shared/kubeconfig';
import { encodePem } from '@mkube/shared/pki';
import { CliError, type Command } from '../command.js';
import { loadOrCreateCA } from '../podcertsigner/ca.js';
import { MIN_LIFETIME_MS } from '../podcertsigner/issue.js';
import { PodCertificateSigner } from '../podcertsigner/signer.js';
import { publishTrustBundle } from '../podcertsigner/trustbundle.js';

const USER_AGENT = 'mkube-podcert-signer/v0.1.0';
/** SPIFFE: lowercase letters, digits, dots, dashes and underscores, at most 255 characters. */
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;

const RBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: podcert-signer}
rules:
- apiGroups: [certificates.k8s.io]
  resources: [podcertificaterequests]
  verbs: [get, list, watch]
- apiGroups: [certificates.k8s.io]
  resources: [podcertificaterequests/status]
  verbs: [update]
- apiGroups: [certificates.k8s.io]
  resources: [signers]
  resourceNames: [SIGNER-NAME]        # or DOMAIN/* for every signer of a domain
  verbs: [sign]                       # with --publish-trust-bundle: [sign, attest]
# with --publish-trust-bundle:
- apiGroups: [certificates.k8s.io]
  resources: [clustertrustbundles]
  verbs: [get, create, update]`;

export const podCertSignerCommand: Command = {
  name: 'podcert-signer',
  summary: 'Run a demo signer for PodCertificateRequests (podCertificate volumes)',
  description:
    'Sign the PodCertificateRequests (certificates.k8s.io/v1beta1) of one signer name, so pods can mount\n' +
    '`podCertificate` projected volumes naming it. Kubernetes has no in-tree signer for them; this one works\n' +
    "as upstream's hermetic test signer: each pending request gets a certificate for its public key with\n" +
    'the SPIFFE ID spiffe://TRUST-DOMAIN/ns/NAMESPACE/sa/SERVICE-ACCOUNT as its only name, for client and\n' +
    'server auth, valid for the requested maxExpirationSeconds but at most --max-lifetime, chained to the\n' +
    'CA. The CA comes from --ca-cert-file/--ca-key-file, or is made once in --ca-dir (key 0600) and reused.\n' +
    'With --publish-trust-bundle, the CA is published as a ClusterTrustBundle of the signer (when the\n' +
    'apiserver serves them), named SIGNER-NAME with / as : followed by :HASH.\n' +
    '\n' +
    'The apiserver needs --feature-gates=PodCertificateRequest=true and\n' +
    '--runtime-config=certificates.k8s.io/v1beta1=true. The kubeconfig user needs this ClusterRole\n' +
    '(bound with a ClusterRoleBinding); without `sign` the apiserver refuses every status write, which\n' +
    'the signer logs and retries:\n' +
    '\n' +
    RBAC.split('\n')
      .map((l) => `  ${l}`)
      .join('\n') +
    '\n' +
    '\n' +
    'For trying the feature out: the CA key is only as safe as its file.',
  usage: 'podcert-signer --kubeconfig FILE --signer-name DOMAIN/NAME [flags]',
  examples: [
    'mkube podcert-signer --kubeconfig=.mkube/admin.conf --signer-name=example.com/spiffe',
    'mkube podcert-signer --kubeconfig=signer.conf --signer-name=example.com/spiffe --ca-dir=.mkube/spiffe-ca --publish-trust-bundle',
  ],
  flags: [
    {
      name: 'kubeconfig',
      type: 'string',
      usage: 'The kubeconfig of the signer (see the ClusterRole above)',
      metavar: 'FILE',
    },
    { name: 'signer-name', type: 'string', usage: 'The signer name to sign for (DOMAIN/PATH)', metavar: 'NAME' },
    { name: 'ca-cert-file', type: 'string', usage: 'The CA certificate (PEM); with --ca-key-file', metavar: 'FILE' },
    { name: 'ca-key-file', type: 'string', usage: 'The CA private key (PEM); with --ca-cert-file', metavar: 'FILE' },
    {
      name: 'ca-dir',
      type: 'string',
      default: '.mkube/podcert-signer',
      usage: 'Without --ca-cert-file: where the CA is made once (ca.crt, ca.key 0600) and then reused',
      metavar: 'DIR',
    },
    { name: 'trust-domain', type: 'string', default: 'cluster.local', usage: 'The SPIFFE trust domain' },
    {
      name: 'max-lifetime',
      type: 'duration',
      default: '24h',
      usage: 'The longest certificate issued (at least 1h); shorter when a request asks for less',
    },
    {
      name: 'publish-trust-bundle',
      type: 'bool',
      usage: "Publish the CA as a ClusterTrustBundle of the signer (needs 'attest' on the signer)",
    },
  ],
  async run({ args, stdout, stderr, signal }) {
    const f = args.flags;
    const kubeconfig = f.kubeconfig as string | undefined;
    if (!kubeconfig) throw new CliError('--kubeconfig is required');
    const signerName = (f['signer-name'] as string | undefined) ?? '';
    if (!signerName) throw new CliError('--signer-name is required (e.g. --signer-name=example.com/spiffe)');
    // As the apiserver checks spec.signerName: a name no request can carry would wait for nothing.
    const problems = validateSignerName('--signer-name', signerName);
    if (problems.length) throw new CliError(`--signer-name: ${problems.map(fieldErrorBody).join('; ')}`);
    const trustDomain = f['trust-domain'] as string;
    if (!TRUST_DOMAIN.test(trustDomain)) {
      throw new CliError(
        `--trust-domain: invalid value "${trustDomain}": must be lowercase letters, digits, '.', '-' and '_'`,
      );
    }
    const maxLifetimeMs = f['max-lifetime'] as number;
    if (!(maxLifetimeMs >= MIN_LIFETIME_MS)) {
      throw new CliError('--max-lifetime must be at least 1h (the apiserver refuses shorter certificates)');
    }
    let credentials: Awaited<ReturnType<typeof resolveCredentials>>;
    try {
      credentials = await resolveCredentials(await loadKubeconfig(kubeconfig));
    } catch (e) {
      throw new CliError(`--kubeconfig ${kubeconfig}: ${(e as Error).message}`);
    }
    const loaded = await loadOrCreateCA({
      certFile: f['ca-cert-file'] as string | undefined,
      keyFile: f['ca-key-file'] as string | undefined,
      caDir: resolve(f['ca-dir'] as string),
    });
    const log = (line: string) => stderr.write(`podcert-signer: ${line}\n`);
    const client = createClient({ ...clientOptionsFrom(credentials), userAgent: USER_AGENT });
    try {
      stdout.write(
        `podcert-signer: signing for ${signerName} with the CA in ${loaded.certFile}${loaded.created ? ' (new)' : ''}; ` +
          `trust domain ${trustDomain}\n`,
      );
      if (f['publish-trust-bundle'] === true) {
        const caPem = encodePem('CERTIFICATE', loaded.ca.certificate.der);
        try {
          const r = await publishTrustBundle(client, signerName, caPem, signal);
          if (r.published === 'not-served')
            log('the apiserver does not serve ClusterTrustBundles; not publishing the CA');
          else log(`ClusterTrustBundle ${r.name}: ${r.published}`);
        } catch (e) {
          // Signing is what this is for: a bundle that cannot be published is reported, not fatal.
          log(`publishing the ClusterTrustBundle: ${(e as Error).message}`);
        }
      }
      const signer = new PodCertificateSigner({ client, signerName, ca: loaded.ca, trustDomain, maxLifetimeMs, log });
      await signer.run(signal);
    } finally {
      await client.close({ graceMs: 0 });
    }
    return 0;
  },
};
