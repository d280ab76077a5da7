// --config: a KubeletConfiguration file (kubelet.config.k8s.io/v1beta1, YAML or JSON), decoded as
// the kubelet's configfiles loader does it: apiVersion and kind checked, field types as Go's JSON
// decoder checks them, unknown fields dropped with the strict decoder's complaint kept for a warning
// (upstream's lenient fallback), v1beta1 defaults for absent or zero
// fields, relative paths resolved against the file's folder. What comes out is flag values: the
// caller lays the flags given on the command line over them (upstream's precedence).
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { type ConfigProblem, type FlagValues, parseDuration, readFlagFile } from '@mkube/shared/flags';
import { LineCounter, parseDocument } from 'yaml';
import {
  DEFAULT_NODE_STATUS_REPORT_FREQUENCY_MS,
  type FieldType,
  GROUP_VERSION,
  IGNORED_FIELDS,
  KIND,
  MAPPED_FIELDS,
  MAPPED_OBJECTS,
  NODE_STATUS_REPORT_FREQUENCY,
  READ_ONLY_PORT,
} from './v1beta1.js';

export const CONFIG_FLAG = 'config';

export interface KubeletConfigFile {
  /** Absolute path of the file. */
  readonly path: string;
  /** Flag name → the value the file gives it (its v1beta1 default when the field is absent or zero). */
  readonly values: FlagValues;
  /** Flag name → the field it came from, for messages. */
  readonly fields: ReadonlyMap<string, string>;
  /** Known v1beta1 fields the file sets that mkube does not implement. */
  readonly ignoredFields: readonly string[];
  /**
   * The strict decoder's complaint (unknown fields, repeated keys), when it had one: as upstream's
   * kubelet, the file is then decoded leniently and the complaint logged as a warning.
   */
  readonly strictError?: string;
}

const GO_TYPES: Record<FieldType, string> = {
  string: 'string',
  path: 'string',
  bool: 'bool',
  int32: 'int32',
  duration: 'v1.Duration',
  strings: '[]string',
  boolMap: 'map[string]bool',
};

const OBJECT_TYPES: Record<string, string> = {
  authentication: 'v1beta1.KubeletAuthentication',
  'authentication.x509': 'v1beta1.KubeletX509Authentication',
  'authentication.webhook': 'v1beta1.KubeletWebhookAuthentication',
  'authentication.anonymous': 'v1beta1.KubeletAnonymousAuthentication',
  authorization: 'v1beta1.KubeletAuthorization',
  'authorization.webhook': 'v1beta1.KubeletWebhookAuthorization',
};

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v === 'object' ? 'object' : typeof v;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class DecodeError extends Error {}

function typeError(path: string, v: unknown, goType: string): DecodeError {
  const what = typeof v === 'number' ? `number ${v}` : jsonType(v);
  return new DecodeError(`json: cannot unmarshal ${what} into Go struct field ${KIND}.${path} of type ${goType}`);
}

/** One mapped field's value in flag terms; undefined for a zero value (then the default applies). */
function decodeField(path: string, type: FieldType, v: unknown, dir: string): string | boolean | number | string[] {
  switch (type) {
    case 'string':
    case 'path':
      if (typeof v !== 'string') throw typeError(path, v, GO_TYPES[type]);
      return type === 'path' && v !== '' && !isAbsolute(v) ? join(dir, v) : v;
    case 'bool':
      if (typeof v !== 'boolean') throw typeError(path, v, GO_TYPES[type]);
      return v;
    case 'int32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
        throw typeError(path, v, GO_TYPES[type]);
      return v;
    case 'duration':
      // metav1.Duration: a JSON string in time.ParseDuration's syntax.
      if (typeof v !== 'string')
        throw new DecodeError(`json: cannot unmarshal ${jsonType(v)} into Go value of type string`);
      try {
        return parseDuration(v);
      } catch {
        throw new DecodeError(`time: invalid duration ${JSON.stringify(v)}`);
      }
    case 'strings':
      if (!Array.isArray(v)) throw typeError(path, v, GO_TYPES[type]);
      for (const s of v) if (typeof s !== 'string') throw typeError(path, s, 'string');
      return v as string[];
    case 'boolMap':
      // featureGates: the `--feature-gates` pairs it stands for.
      if (!isObject(v)) throw typeError(path, v, GO_TYPES[type]);
      return Object.entries(v).map(([k, b]) => {
        if (typeof b !== 'boolean') throw typeError(path, b, 'bool');
        return `${k}=${b}`;
      });
  }
}

/**
 * The parsed document, and the strict decoder's complaint about a repeated key (yaml.v2's words, as
 * sigs.k8s.io/yaml's strict mode reports it); the lenient decoder keeps the last value.
 */
function parseText(text: string): { obj: unknown; strictError?: string } {
  const lineCounter = new LineCounter();
  const strict = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  const dup = strict.errors.find((e) => e.code === 'DUPLICATE_KEY');
  if (!dup) {
    if (strict.errors.length > 0) throw new DecodeError(`failed to decode: yaml: ${strict.errors[0]!.message}`);
    return { obj: strict.toJS() };
  }
  const { line } = lineCounter.linePos(dup.pos[0]);
  const key = (text.slice(dup.pos[0]).split(/:\s|\n/)[0] ?? '').trim().replace(/^["']|["']$/g, '');
  const lenient = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  if (lenient.errors.length > 0) throw new DecodeError(`failed to decode: yaml: ${lenient.errors[0]!.message}`);
  return {
    obj: lenient.toJS(),
    strictError: `strict decoding error: yaml: unmarshal errors: line ${line}: key ${JSON.stringify(key)} already set in map`,
  };
}

function decode(file: string, text: string): KubeletConfigFile {
  const { obj, strictError: duplicateKey } = parseText(text);
  if (!isObject(obj))
    throw new DecodeError(`failed to decode: couldn't get version/kind; json parse error: not an object`);
  const apiVersion = obj.apiVersion;
  const kind = obj.kind;
  if (typeof kind !== 'string' || kind === '') throw new DecodeError("failed to decode: Object 'Kind' is missing");
  if (typeof apiVersion !== 'string' || apiVersion === '')
    throw new DecodeError("failed to decode: Object 'apiVersion' is missing");
  if (apiVersion !== GROUP_VERSION || kind !== KIND)
    throw new DecodeError(
      `failed to decode: no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme`,
    );

  const dir = dirname(file);
  const unknown: string[] = [];
  const ignoredFields: string[] = [];
  const set = new Map<string, unknown>();
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      const path = prefix ? `${prefix}.${k}` : k;
      if (!prefix && (k === 'apiVersion' || k === 'kind')) continue;
      if (MAPPED_OBJECTS.includes(path)) {
        if (v === null) continue;
        if (!isObject(v)) throw typeError(path, v, OBJECT_TYPES[path]!);
        walk(v, path);
      } else if (Object.hasOwn(MAPPED_FIELDS, path) || (!prefix && k === READ_ONLY_PORT)) {
        if (v !== null) set.set(path, v);
      } else if (!prefix && IGNORED_FIELDS.has(k)) {
        ignoredFields.push(k);
      } else {
        unknown.push(path);
      }
    }
  };
  walk(obj, '');
  // Upstream's kubelet (codec.DecodeKubeletConfiguration) falls back to lenient decoding, which drops
  // unknown fields, and logs what the strict decoder said.
  const strictError =
    duplicateKey ??
    (unknown.length > 0
      ? `strict decoding error: ${unknown.map((u) => `unknown field ${JSON.stringify(u)}`).join(', ')}`
      : undefined);

  const values: FlagValues = {};
  const fields = new Map<string, string>();
  for (const [path, f] of Object.entries(MAPPED_FIELDS)) {
    const raw = set.get(path);
    let v = raw === undefined ? undefined : decodeField(path, f.type, raw, dir);
    // SetDefaults_KubeletConfiguration: a zero value is unset.
    const zero = v === undefined || v === '' || v === 0 || (Array.isArray(v) && v.length === 0);
    if (zero && f.default !== undefined) v = f.default;
    if (v === undefined && f.type === 'bool') v = false;
    if (v === undefined && (f.type === 'strings' || f.type === 'boolMap')) v = [];
    values[f.flag] = v;
    fields.set(f.flag, path);
  }
  // SetDefaults_KubeletConfiguration: an unset report frequency follows a nodeStatusUpdateFrequency
  // the file sets (backward compatibility upstream), else 5 m. A --node-status-update-frequency on
  // the command line does not move it: upstream defaults the file before the flags are laid over it.
  if (!values[NODE_STATUS_REPORT_FREQUENCY]) {
    const raw = set.get('nodeStatusUpdateFrequency');
    const update = raw === undefined ? 0 : decodeField('nodeStatusUpdateFrequency', 'duration', raw, dir);
    values[NODE_STATUS_REPORT_FREQUENCY] = update || DEFAULT_NODE_STATUS_REPORT_FREQUENCY_MS;
  }
  const readOnlyPort = set.get(READ_ONLY_PORT);
  if (readOnlyPort !== undefined) {
    const port = decodeField(READ_ONLY_PORT, 'int32', readOnlyPort, dir);
    if (port !== 0)
      throw new DecodeError(
        `${READ_ONLY_PORT}: ${port} is not supported: mkube's kubelet serves no read-only port (it would answer without authentication or authorization); set it to 0 or leave it out`,
      );
  }
  return { path: file, values, fields, ignoredFields, ...(strictError ? { strictError } : {}) };
}

/** Reads and decodes --config; every problem names the flag and the file. */
export function readKubeletConfigFile(name: string, problems: ConfigProblem[]): KubeletConfigFile | undefined {
  const file = resolve(name);
  const text = readFlagFile(CONFIG_FLAG, file, problems);
  if (text === undefined) return undefined;
  if (text.length === 0) {
    problems.push({
      code: 'BAD_VALUE',
      flag: CONFIG_FLAG,
      file,
      message: `kubelet config file ${JSON.stringify(file)} was empty`,
    });
    return undefined;
  }
  try {
    return decode(file, text);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    problems.push({ code: 'BAD_VALUE', flag: CONFIG_FLAG, file, message: e.message });
    return undefined;
  }
}
