// The Remove action of a stale socket file (a FileTarget, not a channel): unlinks exactly the
// file the diagnosis saw. The directory is reached without foreign symlinks (paths.ts) and opened
// O_DIRECTORY|O_NOFOLLOW; the name is then looked at and unlinked through /proc/self/fd/DIRFD, so
// a directory renamed or swapped for a symlink in between cannot redirect the unlink elsewhere;
// the file must still be a socket with the same dev:inode. Callers confirm with the user first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ActionError, explain } from '../actions/errors';
import { devText, readMountTable, SafeLstat } from './paths';
import type { FileTarget } from './problem';

export interface RemoveFileResult {
  path: string;
  action: string;
}

export function removeSocketFile(target: FileTarget, procRoot = '/proc'): RemoveFileResult {
  const name = path.basename(target.path);
  const dir = path.dirname(target.path);
  if (!path.isAbsolute(target.path) || name === '' || name === '.' || name === '..') throw new ActionError('EINVAL', `not a file path: ${target.path}`);
  const safe = new SafeLstat(readMountTable(procRoot));
  const d = safe.dir(dir);
  if ('skipped' in d) throw new ActionError('EPERM', `will not remove ${target.path}: its directory ${d.skipped}`);
  let dfd: number;
  try {
    dfd = fs.openSync(d.real, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    throw explain(e, { what: `open ${dir}` });
  }
  try {
    const via = `/proc/self/fd/${dfd}/${name}`;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(via);
    } catch (e) {
      throw explain(e, { what: `lstat ${target.path}` });
    }
    if (!st.isSocket()) throw new ActionError('ESTALE', `${target.path} is no longer a socket file: not removed`, 'refresh and look again');
    if (st.ino !== target.inode || devText(st.dev) !== target.dev) {
      throw new ActionError('ESTALE', `${target.path} is another file now (inode ${st.ino}, was ${target.inode}): not removed`, 'refresh and look again');
    }
    try {
      fs.unlinkSync(via);
    } catch (e) {
      throw explain(e, { what: `unlink ${target.path}` });
    }
    return { path: target.path, action: `unlink ${target.path}` };
  } finally {
    fs.closeSync(dfd);
  }
}
