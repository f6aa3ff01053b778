// POSIX shared memory (probes/posix.ts): the files of /dev/shm other than `sem.*`, held through
// fds and mappings (joined by inode).
import type { ChannelBase } from '../model';
import { col, ownerColumns } from '../columns';
import { formatBytes, shortText } from '../text';
import { defineKind, never, noInode, noneMissing, noPeer, noMentions } from './kind';
import { DEVSHM_FDS } from './fds';

export interface PosixShmChannel extends ChannelBase {
  kind: 'posix-shm';
  name: string;
  size: number;
  uid: number;
  owner: string;
  mode: string;
}

/** Maps lines of /dev/shm files (POSIX shared memory and named semaphores). */
export const DEVSHM_MAPS = [{ text: ' /dev/shm/' }] as const;

const c = col<PosixShmChannel>();

export const posixShm = defineKind<PosixShmChannel>({
  kind: 'posix-shm',
  title: 'POSIX shared memory',
  teaching: 'POSIX shared memory: a named file in /dev/shm mapped by several processes; no built-in synchronisation; lives until shm_unlink.',
  icon: 'database',
  group: { id: 'shm', label: 'Shared Memory', sub: 'POSIX' },
  idShape: /^[^\0]{1,500}$/s,
  inodeOfId: noInode,
  name: (ch, max) => '/' + shortText(ch.name, max),
  longTitle: (ch) => `POSIX shared memory /${shortText(ch.name)} (${ch.size} bytes)`,
  description: (ch) => formatBytes(ch.size),
  columns: [
    c('name', 'NAME', 'Name', 'string', 'Object name in /dev/shm', { search: 'text' }),
    c('size', 'SIZE', 'Size', 'number', 'Size in bytes', { unit: 'bytes' }),
    ...ownerColumns<PosixShmChannel>(),
  ],
  search: (ch) => ({ texts: ['/' + ch.name] }),
  ends: 'holders',
  peer: noPeer,
  owner: (ch) => ch.uid,
  mentions: noMentions,
  probe: 'posix',
  fds: DEVSHM_FDS,
  maps: DEVSHM_MAPS,
  peek: 'posix-shm',
  paged: true,
  remove: (ch) => ({ by: 'unlink', dir: 'shm', file: ch.name, note: 'the name is gone; existing mappings stay valid until unmapped' }),
  depth: () => undefined,
  full: never,
  empty: never,
  warnings: () => [],
  missing: noneMissing,
});
