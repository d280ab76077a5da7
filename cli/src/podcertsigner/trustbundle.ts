// --publish-trust-bundle: the signer's CA as a ClusterTrustBundle of its signer, named as
// kube-controller-manager names the kube-apiserver-serving one (`<signer with / as :>:<sha256 prefix>`),
// so pods can trust what this signer issues through a clusterTrustBundle projection. Other bundles
// of the signer are left alone: an older CA's may still be what some pods' certificates chain to.

import { bundleName, discoverClusterTrustBundles } from '@mkube/controller-manager/clustertrustbundlepublisher';
import type { ClusterTrustBundle } from '@mkube/shared/api';
import { isAlreadyExists } from '@mkube/shared/apierrors';
import type { KubeClient } from '@mkube/shared/client';

export type PublishResult =
  | { readonly published: 'created' | 'updated' | 'unchanged'; readonly name: string }
  | { readonly published: 'not-served' };

export async function publishTrustBundle(
  client: KubeClient,
  signerName: string,
  caPem: string,
  signal?: AbortSignal,
): Promise<PublishResult> {
  const ref = await discoverClusterTrustBundles(client);
  if (!ref) return { published: 'not-served' };
  const api = client.resource<ClusterTrustBundle>(ref);
  const name = bundleName(signerName, caPem);
  const wanted: ClusterTrustBundle = {
    apiVersion: `${ref.group}/${ref.version}`,
    kind: 'ClusterTrustBundle',
    metadata: { name },
    spec: { signerName, trustBundle: caPem },
  };
  try {
    await api.create(wanted, { signal });
    return { published: 'created', name };
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  const cur = await api.get(name, { signal });
  if (cur.spec?.trustBundle === caPem) return { published: 'unchanged', name };
  await api.update({ ...cur, spec: { ...cur.spec, trustBundle: caPem } }, { signal });
  return { published: 'updated', name };
}
