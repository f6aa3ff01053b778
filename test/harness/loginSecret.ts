// The password of the VS Code that `npm start` serves. Made once (random), kept in a file only
// this user can read — `login/password`, mode 0600, in a 0700 directory of this user's cache
// (fixtures/privateDir.ts checks every directory on the way) — and reused by later starts, so a
// browser that logged in stays logged in. A file that fails the checks (another owner, readable
// by others) is replaced by a new password: the old one may have been seen.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { privateDir, readOwnFile, writeOwnFile } from '../../fixtures/privateDir';

/** A password for code-server's login: 192 random bits, URL- and shell-safe. */
export function randomPassword(): string {
  return randomBytes(24).toString('base64url');
}

/** Where `npm start` keeps its password under `cacheRoot` (the directory is made private here). */
export function loginPasswordFile(cacheRoot: string): string {
  return path.join(privateDir(path.join(cacheRoot, 'login')), 'password');
}

/** The password in `file` when it is ours and private, else a new one written there (0600). */
export function loadOrCreatePassword(file: string): { password: string; created: boolean } {
  let old: string | undefined;
  try {
    const st = fs.lstatSync(file);
    if ((st.mode & 0o077) === 0) old = readOwnFile(file, 4096)?.toString('utf8').trim();
  } catch {
    /* missing, or not ours: a new one */
  }
  if (old && /^[A-Za-z0-9_-]{32,}$/.test(old)) return { password: old, created: false };
  const password = randomPassword();
  fs.rmSync(file, { force: true });
  writeOwnFile(file, password + '\n', 0o600);
  return { password, created: true };
}
