// The keys of `mkube kms-plugin`: a JSON file (0600, written atomically) naming the current key and
// every key it ever had, so data encrypted under an older key_id still decrypts after a rotation:
//
//   {"current": "key-2", "keys": {"key-1": "<base64 of 32 bytes>", "key-2": "<base64 of 32 bytes>"}}
//
// A problem names the file and the field; key material is never echoed.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@mkube/shared/atomicfile';
import { CliError } from '../command.js';

export interface KmsKeys {
  readonly current: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function parseKeys(text: string, file: string): KmsKeys {
  const bad = (field: string, problem: string): never => {
    throw new CliError(`${file}: ${field}: ${problem}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return bad('(file)', 'not valid JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return bad('(file)', 'expected a JSON object');
  const { current, keys } = doc as { current?: unknown; keys?: unknown };
  if (!keys || typeof keys !== 'object' || Array.isArray(keys))
    return bad('keys', 'expected an object of key_id: base64 key');
  const out = new Map<string, Buffer>();
  for (const [id, v] of Object.entries(keys)) {
    if (!KEY_ID.test(id)) bad(`keys.${id}`, 'a key_id is 1-128 letters, digits, ".", "_" or "-"');
    if (typeof v !== 'string') return bad(`keys.${id}`, 'must be the base64 of 32 bytes');
    const key = Buffer.from(v, 'base64');
    if (key.length !== 32 || key.toString('base64') !== v) bad(`keys.${id}`, 'must be the base64 of 32 bytes');
    out.set(id, key);
  }
  if (typeof current !== 'string' || !out.has(current))
    bad('current', `must name one of the keys (${[...out.keys()].join(', ') || 'none'})`);
  return { current: current as string, keys: out };
}

function serialize(k: KmsKeys): string {
  const keys = Object.fromEntries([...k.keys].map(([id, key]) => [id, key.toString('base64')]));
  return `${JSON.stringify({ current: k.current, keys }, null, 2)}\n`;
}

/** The file's keys; a missing file is created with one fresh key, key-1. */
export async function loadOrCreateKeys(file: string): Promise<KmsKeys> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new CliError(`${file}: cannot read: ${(e as Error).message}`);
    const fresh: KmsKeys = { current: 'key-1', keys: new Map([['key-1', randomBytes(32)]]) };
    await writeFileAtomic(file, serialize(fresh), { mode: 0o600 });
    return fresh;
  }
  return parseKeys(text, file);
}

/** Adds a fresh key, key-<n+1>, and makes it current; the old ones stay for reading. */
export async function rotateKeys(file: string): Promise<KmsKeys> {
  const k = await loadOrCreateKeys(file);
  let n = k.keys.size + 1;
  while (k.keys.has(`key-${n}`)) n++;
  const next: KmsKeys = { current: `key-${n}`, keys: new Map([...k.keys, [`key-${n}`, randomBytes(32)]]) };
  await writeFileAtomic(file, serialize(next), { mode: 0o600 });
  return next;
}
