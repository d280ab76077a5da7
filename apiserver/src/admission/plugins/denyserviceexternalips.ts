// DenyServiceExternalIPs (plugin/pkg/admission/network/denyserviceexternalips; off by default): the
// mitigation for CVE-2020-8554, where whoever may create a Service can claim any IP as its
// externalIP and intercept the cluster's traffic to it. A Service may keep the externalIPs it has;
// it may not gain one.
import type { Service } from '@mkube/shared/api';
import { newForbidden } from '@mkube/shared/apierrors';
import type { AdmissionPlugin } from '../types.js';

export const DENY_SERVICE_EXTERNAL_IPS_PLUGIN = 'DenyServiceExternalIPs';

export const denyServiceExternalIPs: AdmissionPlugin = {
  name: DENY_SERVICE_EXTERNAL_IPS_PLUGIN,
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  async validate(a) {
    if (a.group !== '' || a.resource !== 'services' || a.subresource !== '') return;
    const ips = (a.object as Service | undefined)?.spec?.externalIPs ?? [];
    if (ips.length === 0) return;
    const had = new Set((a.oldObject as Service | undefined)?.spec?.externalIPs ?? []);
    if (a.oldObject && ips.every((ip) => had.has(ip))) return;
    throw newForbidden(
      { group: '', resource: 'services' },
      a.generatedFrom ?? a.name,
      'Use of external IPs is denied by admission control',
    );
  },
};
