// --token-auth-file: `token,user,uid,"group1,group2"` per line (kube's CSV; extra columns ignored).
// Tokens are kept and looked up by their SHA-256, so no comparison runs over the secret itself.
import { createHash } from 'node:crypto';
import type { TokenAuthenticator } from './bearer.js';
import type { UserInfo } from './types.js';

export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
}

/** RFC 4180 fields of one line: commas separate, double quotes enclose, "" is a quote. */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new Error('unterminated quoted field');
  out.push(cur);
  return out;
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64');

export function parseTokenFile(text: string, file: string): Map<string, UserInfo> {
  const users = new Map<string, UserInfo>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    let f: string[];
    try {
      f = csvFields(line);
    } catch (e) {
      throw new TokenFileError(`${file}:${i + 1}: ${(e as Error).message}`);
    }
    if (f.length < 3)
      throw new TokenFileError(`${file}:${i + 1}: expected at least 3 columns (token,user,uid), got ${f.length}`);
    const [token, username, uid, groups] = f as [string, string, string, string | undefined];
    if (!token) throw new TokenFileError(`${file}:${i + 1}: empty token`);
    if (!username) throw new TokenFileError(`${file}:${i + 1}: empty user name`);
    const key = digest(token);
    if (users.has(key)) throw new TokenFileError(`${file}:${i + 1}: duplicate token`);
    users.set(key, {
      username,
      ...(uid ? { uid } : {}),
      groups: (groups ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter((g) => g !== ''),
    });
  });
  return users;
}

export function tokenFileAuthenticator(users: ReadonlyMap<string, UserInfo>): TokenAuthenticator {
  return {
    async authenticateToken(token) {
      return users.get(digest(token)) ?? null;
    },
  };
}
