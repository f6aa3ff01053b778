// Removing stale IPC objects, as ipcrm/rm would: SysV objects through `ipcrm` (the addon has no
// IPC_RMID entry point), POSIX objects by unlinking their file in /dev/mqueue or /dev/shm.
// Removal is destructive: callers confirm with the user first.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import type { Channel } from '../model';
import { kindTitle, shortText } from '../format';
import { ActionError, explain } from './errors';
import { safePosixName } from './peek';

export interface RemoveOptions {
  devRoot?: string;
  /** ipcrm binary (tests). */
  ipcrm?: string;
}

export interface RemoveResult {
  channelId: string;
  /** What was done, e.g. `ipcrm -q 32768`, `unlink /dev/shm/foo`. */
  action: string;
  /** Extra remark: SysV shm lives until the last detach, POSIX objects until the last close. */
  note?: string;
}

/** What a removal calls the object: kind, id or name (escaped, bounded), and its key facts. */
export function objectTitle(ch: Channel): string {
  const hex = (k: number) => '0x' + (k >>> 0).toString(16).padStart(8, '0');
  switch (ch.kind) {
    case 'sysv-msg':
      return `System V message queue ${ch.msqid} (key ${hex(ch.key)}, ${ch.messages} message${ch.messages === 1 ? '' : 's'} queued)`;
    case 'sysv-shm':
      return `System V shared memory segment ${ch.shmid} (key ${hex(ch.key)}, ${ch.size} bytes, ${ch.attachCount} attached)`;
    case 'sysv-sem':
      return `System V semaphore set ${ch.semid} (key ${hex(ch.key)}, ${ch.nsems} semaphore${ch.nsems === 1 ? '' : 's'})`;
    case 'posix-mq':
      return `POSIX message queue /${shortText(ch.name)}`;
    case 'posix-shm':
      return `POSIX shared memory object /${shortText(ch.name)} (${ch.size} bytes)`;
    case 'posix-sem':
      return `POSIX semaphore /${shortText(ch.name)}`;
    default:
      return `${kindTitle(ch.kind)} ${shortText(ch.id)}`;
  }
}

export function isRemovable(channel: Channel): boolean {
  return ['sysv-msg', 'sysv-shm', 'sysv-sem', 'posix-mq', 'posix-shm', 'posix-sem'].includes(channel.kind);
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 10000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const text = String(stderr).trim();
      const code = /permission denied|not permitted/i.test(text) ? 'EPERM' : /invalid|not found|no such/i.test(text) ? 'EINVAL' : ((err as { code?: unknown }).code === 'ENOENT' ? 'ENOENT' : 'EIO');
      reject(Object.assign(new Error(text || err.message), { code }));
    });
  });
}

export async function removeObject(channel: Channel, opts: RemoveOptions = {}): Promise<RemoveResult> {
  const devRoot = opts.devRoot ?? '/dev';
  const ipcrm = opts.ipcrm ?? 'ipcrm';
  const owner = { owner: (channel as { owner?: string | null }).owner ?? null, ownerUid: (channel as { uid?: number | null }).uid ?? null };
  const sysv = async (flag: string, id: number, label: string, note?: string): Promise<RemoveResult> => {
    if (!Number.isInteger(id) || id < 0) throw new ActionError('EINVAL', `invalid ${label} id ${id}`);
    const what = `remove ${label} ${id}`;
    try {
      await run(ipcrm, [flag, String(id)]);
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOENT' && /spawn/.test((e as Error).message)) {
        throw new ActionError('ENOENT', `${what}: ipcrm is not installed`, 'install util-linux');
      }
      throw explain(e, { what, ...owner });
    }
    return { channelId: channel.id, action: `ipcrm ${flag} ${id}`, note };
  };
  const unlink = (file: string, note: string): RemoveResult => {
    try {
      fs.unlinkSync(file);
    } catch (e) {
      throw explain(e, { what: `unlink ${file}`, ...owner });
    }
    return { channelId: channel.id, action: `unlink ${file}`, note };
  };

  switch (channel.kind) {
    case 'sysv-msg':
      return sysv('-q', channel.msqid, 'message queue', 'queued messages are discarded; processes using it get EIDRM');
    case 'sysv-shm':
      return sysv('-m', channel.shmid, 'shared memory segment', channel.attachCount > 0 ? `still attached by ${channel.attachCount}: it is freed after the last detach` : undefined);
    case 'sysv-sem':
      return sysv('-s', channel.semid, 'semaphore set', 'processes waiting on it wake up with EIDRM');
    case 'posix-mq':
      return unlink(`${devRoot}/mqueue/${safePosixName(channel.name)}`, 'the name is gone; processes that have it open keep using it until they close it');
    case 'posix-shm':
      return unlink(`${devRoot}/shm/${safePosixName(channel.name)}`, 'the name is gone; existing mappings stay valid until unmapped');
    case 'posix-sem':
      return unlink(`${devRoot}/shm/sem.${safePosixName(channel.name)}`, 'the name is gone; processes that opened it keep it until sem_close');
    default:
      throw new ActionError('ENOTSUP', `${channel.id}: ${channel.kind} objects cannot be removed (close the processes holding them instead)`);
  }
}
