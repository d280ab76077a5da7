// Kubernetes' format CEL library (k8s.io/apiserver pkg/cel/library/format.go): named string
// validations with apimachinery's messages. `format.dns1123Label().validate(s)` is optional.none()
// when `s` is valid, else the list of what is wrong; `format.named('labelValue')` looks one up.
import { type Environment, Optional } from '@marcbachmann/cel-js';
import { isQualifiedName, isValidLabelValue } from '@mkube/shared/selectors';
import { decodeStdBase64 } from '../../registry/certificates/bytes.js';
import { nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain } from '../../validation/names.js';
import { parseURL } from './url.js';

/** The `kubernetes.NamedFormat` CEL type. */
export class NamedFormat {
  constructor(
    readonly name: string,
    readonly validate: (s: string) => string[],
  ) {}
}

const UUID = /^(?:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12})$/i;

function validDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** strfmt's date-time: RFC 3339 (a 'T' or space, optional fraction, Z or an offset). */
function validDateTime(s: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(s);
  return !!m && validDate(m[1]!) && Number(m[2]) < 24 && Number(m[3]) < 60 && Number(m[4]) < 61;
}

const check = (ok: (s: string) => boolean, message: string) => (s: string) => (ok(s) ? [] : [message]);

export const FORMATS: Readonly<Record<string, NamedFormat>> = {
  dns1123Label: new NamedFormat('DNS1123Label', (s) => nameIsDNSLabel(s, false)),
  dns1123Subdomain: new NamedFormat('DNS1123Subdomain', (s) => nameIsDNSSubdomain(s, false)),
  dns1035Label: new NamedFormat('DNS1035Label', (s) => nameIsDNS1035Label(s, false)),
  qualifiedName: new NamedFormat('QualifiedName', isQualifiedName),
  dns1123LabelPrefix: new NamedFormat('DNS1123LabelPrefix', (s) => nameIsDNSLabel(s, true)),
  dns1123SubdomainPrefix: new NamedFormat('DNS1123SubdomainPrefix', (s) => nameIsDNSSubdomain(s, true)),
  dns1035LabelPrefix: new NamedFormat('DNS1035LabelPrefix', (s) => nameIsDNS1035Label(s, true)),
  labelValue: new NamedFormat('LabelValue', isValidLabelValue),
  uri: new NamedFormat('URI', (s) => {
    try {
      parseURL(s);
      return [];
    } catch (e) {
      // url.ParseRequestURI's own error, without the CEL conversion's preamble.
      return [(e as Error).message.replace(/^URL parse error during conversion from string: /, '')];
    }
  }),
  uuid: new NamedFormat(
    'uuid',
    check((s) => UUID.test(s), 'does not match the UUID format'),
  ),
  byte: new NamedFormat(
    'byte',
    check((s) => decodeStdBase64(s).ok, 'invalid base64'),
  ),
  date: new NamedFormat('date', check(validDate, 'invalid date')),
  datetime: new NamedFormat('datetime', check(validDateTime, 'invalid datetime')),
};

/** The namespace `format.dns1123Label()` and `format.named(…)` hang on. */
class FormatLibrary {}

export function registerFormatLibrary(env: Environment): void {
  const F = 'kubernetes.NamedFormat';
  const L = 'kubernetes.FormatLibrary';
  env
    .registerType(F, NamedFormat)
    .registerType(L, FormatLibrary)
    .registerConstant('format', L, new FormatLibrary())
    .registerFunction(`${L}.named(string): optional<${F}>`, (_: FormatLibrary, name: string) =>
      Object.hasOwn(FORMATS, name) ? Optional.of(FORMATS[name]) : Optional.none(),
    )
    .registerFunction(`${F}.validate(string): optional<list<string>>`, (f: NamedFormat, s: string) => {
      const errs = f.validate(s);
      return errs.length === 0 ? Optional.none() : Optional.of(errs);
    });
  for (const [name, f] of Object.entries(FORMATS)) env.registerFunction(`${L}.${name}(): ${F}`, () => f);
}
