// `mkube certs check-expiration`: kubeadm's table of every certificate and CA with its expiry.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadKubeconfig, resolveCredentials } from '@mkube/shared/kubeconfig';
import { type ParsedCertificate, parseCertificatePem } from '@mkube/shared/pki';
import { CliError } from '../command.js';
import { PkiDir, readCertificate } from './files.js';
import { CAS, KUBECONFIGS, LEAVES } from './specs.js';

/** apimachinery's duration.ShortHumanDuration, which kubeadm prints as RESIDUAL TIME. */
export function shortHumanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go layout "Jan 02, 2006 15:04 MST" in UTC, as kubeadm prints EXPIRES. */
export function formatExpiry(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())}, ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
}

interface Row {
  name: string;
  cert?: ParsedCertificate;
  ca?: string;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 3)))
      .join('')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export async function checkExpiration(dir: string, now: Date): Promise<{ text: string; expired: string[] }> {
  const pki = new PkiDir(dir);
  const show = (p: string) => pki.show(p);
  if (!existsSync(pki.pkiDir))
    throw new CliError(`${show(pki.pkiDir)}: no PKI folder here (run "mkube pki init --dir=${dir}" first)`);
  const leaves: Row[] = [];
  for (const kc of KUBECONFIGS) {
    const path = join(dir, kc.fileName);
    if (!existsSync(path)) {
      leaves.push({ name: kc.fileName });
      continue;
    }
    let creds: Awaited<ReturnType<typeof resolveCredentials>>;
    try {
      creds = await resolveCredentials(await loadKubeconfig(path));
    } catch (e) {
      throw new CliError(`${show(path)}: ${(e as Error).message}`);
    }
    if (!creds.clientCertPem)
      throw new CliError(`${show(path)}: users[0].user: no client certificate in this kubeconfig`);
    try {
      leaves.push({ name: kc.fileName, cert: parseCertificatePem(creds.clientCertPem), ca: 'ca' });
    } catch (e) {
      throw new CliError(`${show(path)}: client certificate: ${(e as Error).message}`);
    }
  }
  for (const leaf of LEAVES) {
    const path = pki.crtPath(leaf.baseName);
    leaves.push(
      existsSync(path)
        ? { name: leaf.name, cert: await readCertificate(path, show), ca: leaf.ca }
        : { name: leaf.name },
    );
  }
  leaves.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const cas: Row[] = [];
  for (const ca of CAS) {
    const path = pki.crtPath(ca.baseName);
    cas.push(existsSync(path) ? { name: ca.name, cert: await readCertificate(path, show) } : { name: ca.name });
  }

  const expired: string[] = [];
  const cells = (r: Row, withCa: boolean): string[] => {
    if (!r.cert) return [`!MISSING! ${r.name}`];
    const left = r.cert.notAfter.getTime() - now.getTime();
    if (left <= 0) expired.push(r.name);
    const row = [r.name, formatExpiry(r.cert.notAfter), shortHumanDuration(left)];
    if (withCa) row.push(r.ca ?? '');
    row.push('no');
    return row;
  };
  const text = [
    table(
      ['CERTIFICATE', 'EXPIRES', 'RESIDUAL TIME', 'CERTIFICATE AUTHORITY', 'EXTERNALLY MANAGED'],
      leaves.map((r) => cells(r, true)),
    ),
    '',
    table(
      ['CERTIFICATE AUTHORITY', 'EXPIRES', 'RESIDUAL TIME', 'EXTERNALLY MANAGED'],
      cas.map((r) => cells(r, false)),
    ),
  ].join('\n');
  return { text: `${text}\n`, expired };
}
