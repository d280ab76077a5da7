// Helpers for the daemons that write the Prometheus text format by hand (the controller-manager's
// and the kubelet's series; the apiserver's come from prom-client).

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
export function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A sample's label set, `{a="1",b="2"}` with the names sorted as client_golang writes them; '' for none. */
export function labelSet(l: Readonly<Record<string, string>>): string {
  const keys = Object.keys(l).sort();
  return keys.length ? `{${keys.map((k) => `${k}="${labelValue(l[k]!)}"`).join(',')}}` : '';
}
