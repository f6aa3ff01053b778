// SysV shared memory segments (probes/sysv.ts): listed by shmid; their attachers come from the
// maps lines `/SYSV%08x (deleted)` (the key; the line's inode is the shmid, which IPC_PRIVATE needs).
import type { ChannelBase } from '../model';
import { col, keyColumn, ownerColumns, sysvKeyText, ipcnsColumn } from '../columns';
import { formatBytes } from '../text';
import { defineKind, sysvKeyLabel, noInode, noPeer, SHARED_MEMORY_STATE, SYSV_ID_SHAPE, ipcnsNote, otherIpcns, sysvKeyName, type SysvIdentity } from './kind';
import { SYSV_UNHELD } from './sysvMsg';

export interface SysvShmChannel extends ChannelBase, SysvIdentity {
  kind: 'sysv-shm';
  key: number;
  shmid: number;
  size: number;
  attachCount: number;
  creatorPid: number;
  lastPid: number;
  uid: number;
  owner: string;
  mode: string;
  /** Another IPC namespace's object (a container's): that namespace's inode; its id is then `ns/NS/ID`, and the id means nothing in ours. Absent for this namespace's. */
  ipcns?: string;
  /**
   * The device of its attachers' mapping lines (hex, as /proc/PID/maps shows it: `00:01`), when a
   * process of the snapshot has it mapped: a peek reads it through that mapping, which leaves the
   * segment's attach time, last pid and attach count as they are (shmat would change all three).
   */
  mapDev?: string;
  /** Marked for removal (IPC_RMID done, still attached). */
  destroyed: boolean;
  /** Creator gone and nothing attached: probably leaked. */
  orphaned: boolean;
}

const c = col<SysvShmChannel>();

export const sysvShm = defineKind<SysvShmChannel>({
  kind: 'sysv-shm',
  title: 'SysV shared memory',
  teaching:
    'SysV shared memory: a segment mapped into several address spaces; the fastest IPC, with no built-in synchronisation (pair it with a semaphore); persists until removed and detached.',
  icon: 'database',
  group: { id: 'shm', label: 'Shared Memory', sub: 'SysV' },
  map: { family: 'shm', shared: true },
  idShape: SYSV_ID_SHAPE,
  inodeOfId: noInode,
  name: (ch) => `shmid ${ch.shmid} ${sysvKeyName(ch.key, sysvKeyText(ch.key))}`,
  label: (ch, ends) => sysvKeyLabel(ch.key, 'shmid', ch.shmid, sysvKeyText(ch.key)) + (ends ? `  ${ends}` : ''),
  longTitle: (ch) => `SysV shared memory ${ch.shmid} (key ${sysvKeyText(ch.key)}, ${formatBytes(ch.size)}, ${ch.attachCount} attached)${otherIpcns(ch)}`,
  description: (ch) => `${formatBytes(ch.size)}, ${ch.attachCount} attached` + (ch.destroyed ? ', removed' : '') + (ch.orphaned ? ', orphaned' : '') + ipcnsNote(ch),
  columns: [
    keyColumn<SysvShmChannel>(),
    c('shmid', 'SHMID', 'Segment id', 'number', 'Segment id', { search: 'number' }),
    c('size', 'SIZE', 'Size', 'number', 'Segment size in bytes', { unit: 'bytes' }),
    c('attachCount', 'NATTCH', 'Attached', 'number', 'Number of attaches (shm_nattch)'),
    c('creatorPid', 'CPID', 'Creator', 'number', 'Creator pid', { search: 'number', refers: 'pid' }),
    c('lastPid', 'LPID', 'Last attach/detach', 'number', 'Pid of the last shmat/shmdt', { search: 'number', wide: true, refers: 'pid' }),
    c('destroyed', 'REMOVED', 'Removed', 'boolean', 'Marked for removal; lives until the last detach'),
    c('orphaned', 'ORPHANED', 'Orphaned', 'boolean', 'Nothing attached and the creator is gone: probably leaked', { wide: true }),
    ...ownerColumns<SysvShmChannel>(),
    ipcnsColumn<SysvShmChannel>(),
  ],
  ends: 'holders',
  unheld: SYSV_UNHELD,
  peer: noPeer,
  owner: (ch) => ch.uid,
  mentions: (ch) => [ch.creatorPid, ch.lastPid].filter((p) => p > 0),
  probe: 'sysv',
  maps: [{ text: ' /SYSV' }],
  peek: 'sysv-shm',
  // read through an attacher's mapping when one is known (actions/peek/sharedMemory.ts); else shmat
  peekAlters: (ch) =>
    ch.ipcns || (ch.mapDev !== undefined && ch.endpoints.some((e) => e.map !== undefined))
      ? null
      : 'No process maps it, so a peek attaches it read-only (shmat): its last attach/detach pid and times then name this process. Its data is not changed.',
  paged: true,
  remove: (ch) =>
    ch.ipcns
      ? null
      : {
          by: 'sysv',
          family: 'shm',
          id: ch.shmid,
          noun: 'shared memory segment',
          key: ch.key,
          uid: ch.uid,
          creatorUid: ch.creatorUid,
          changed: ch.changed,
          note: ch.attachCount > 0 ? `still attached by ${ch.attachCount}: it is freed after the last detach` : undefined,
        },
  ...SHARED_MEMORY_STATE,
  warnings: (ch) => (ch.orphaned ? ['orphaned: no attachers and its creator is gone'] : []),
});
