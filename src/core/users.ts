// uid → user name from <etcRoot>/passwd, cached per file (re-read when its mtime changes).
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Cache {
  mtimeMs: number;
  names: Map<number, string>;
}
const caches = new Map<string, Cache>();

/** passwd files cached and the names they hold (the soak bench's figures). */
export function userCacheSizes(): { files: number; names: number } {
  let names = 0;
  for (const c of caches.values()) names += c.names.size;
  return { files: caches.size, names };
}

export function parsePasswd(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line[0] === '#') continue;
    const f = line.split(':');
    if (f.length < 3) continue;
    const uid = Number(f[2]);
    if (!Number.isInteger(uid) || uid < 0 || f[0] === '') continue;
    if (!names.has(uid)) names.set(uid, f[0]);
  }
  return names;
}

/** Returns a resolver; unknown uids map to their number as text. */
export function userResolver(etcRoot = '/etc'): (uid: number) => string {
  const file = path.join(etcRoot, 'passwd');
  let c = caches.get(file);
  try {
    const st = fs.statSync(file);
    if (!c || c.mtimeMs !== st.mtimeMs) {
      c = { mtimeMs: st.mtimeMs, names: parsePasswd(fs.readFileSync(file, 'utf8')) };
      caches.set(file, c);
    }
  } catch {
    c = c ?? { mtimeMs: -1, names: new Map() };
  }
  const names = c.names;
  return (uid: number) => names.get(uid) ?? String(uid);
}
