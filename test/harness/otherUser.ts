// The attacker of the security tests: another local user (`nobody`, uid 65534). Runs code as
// that user, and stages the files it must run (the CLI bundle, the addon) in a fresh directory
// it can read, so the tests work wherever the checkout lives: a clone under /root (mode 0700 on
// Debian) cannot be entered by another user. The staged directory is mkdtemp-made, owned by
// the caller (root), mode 0755 with 0644/0755 files: readable by the attacker, never writable.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const NOBODY = { uid: 65534, gid: 65534 };

/** A directory every user can enter: /tmp (sticky, root-owned), whatever TMPDIR says. */
const SHARED_TMP = '/tmp';

/** Runs a program as nobody in `/`, with only PATH and `env` in its environment. */
export function runAsNobody(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    ...NOBODY,
    cwd: '/',
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `node -e script` as nobody (see runAsNobody). */
export function nodeAsNobody(script: string, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): SpawnSyncReturns<string> {
  return runAsNobody(process.execPath, ['-e', script], opts);
}

/** Runs `sh -c command` as nobody in `/`. */
export function shellAsNobody(command: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync('/bin/sh', ['-c', command], { ...NOBODY, cwd: '/', env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...env }, encoding: 'utf8', timeout: 30_000 });
}

/** Why nobody-tests cannot run here (not root, no such user, node not executable by it), or false. */
export function cannotActAsNobody(): string | false {
  if (process.geteuid?.() !== 0) return 'needs root to act as user nobody';
  const r = nodeAsNobody('process.stdout.write(String(process.getuid()))');
  if (r.error || r.status !== 0 || r.stdout !== String(NOBODY.uid)) {
    return `cannot run ${process.execPath} as uid ${NOBODY.uid}: ${r.error?.message ?? r.stderr.trim()}`;
  }
  return false;
}

export interface Staged {
  dir: string;
  /** Path of a staged file by its relative name. */
  path(rel: string): string;
  remove(): void;
}

/** Copies `files` ([source, relative name]) into a fresh directory other users can read. */
export function stageForOtherUsers(files: Array<[source: string, rel: string]>): Staged {
  const dir = fs.mkdtempSync(path.join(fs.existsSync(SHARED_TMP) ? SHARED_TMP : '/', 'ipc-staged-'));
  for (const [src, rel] of files) {
    const dst = path.join(dir, rel);
    let d = path.dirname(dst);
    fs.mkdirSync(d, { recursive: true });
    for (; d.startsWith(dir) && d !== dir; d = path.dirname(d)) fs.chmodSync(d, 0o755);
    fs.copyFileSync(src, dst);
    fs.chmodSync(dst, fs.statSync(src).mode & 0o111 ? 0o755 : 0o644);
  }
  fs.chmodSync(dir, 0o755);
  return {
    dir,
    path: (rel) => path.join(dir, rel),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
