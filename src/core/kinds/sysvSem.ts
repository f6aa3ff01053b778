// SysV semaphore sets (probes/sysv.ts): values, waiters and last pids per semaphore (semctl
// GETALL/GETNCNT/GETZCNT/GETPID through the addon; null without it or without read permission,
// and then the channel's `errors` say why).
import type { ChannelBase } from '../model';
import { col, keyColumn, ownerColumns, sysvKeyText, ipcnsColumn } from '../columns';
import { CAPS, summarizeList, plural } from '../text';
import { defineKind, sysvKeyLabel, never, noInode, noPeer, SYSV_ID_SHAPE, ipcnsNote, otherIpcns, sysvKeyName, type SysvIdentity } from './kind';
import { SYSV_UNHELD } from './sysvMsg';

export interface SysvSemChannel extends ChannelBase, SysvIdentity {
  kind: 'sysv-sem';
  key: number;
  semid: number;
  nsems: number;
  /** Per semaphore (GETALL); null without the native addon or read permission. */
  values: number[] | null;
  /** Processes waiting for each value to increase (GETNCNT). */
  waitingForIncrease: number[] | null;
  /** Processes waiting for each value to become zero (GETZCNT). */
  waitingForZero: number[] | null;
  /** Last pid that operated on each semaphore (GETPID). */
  lastPid: number[] | null;
  uid: number;
  owner: string;
  mode: string;
  /** Another IPC namespace's object (a container's): that namespace's inode; its id is then `ns/NS/ID`, and the id means nothing in ours. Absent for this namespace's. */
  ipcns?: string;
}

const sum = (a: readonly number[] | null) => (a ?? []).reduce((x, y) => x + y, 0);

const c = col<SysvSemChannel>();

export const sysvSem = defineKind<SysvSemChannel>({
  kind: 'sysv-sem',
  title: 'SysV semaphore set',
  teaching: 'SysV semaphore set: an array of non-negative counters changed atomically (semop); processes block waiting for a value to rise or to reach zero.',
  icon: 'symbol-numeric',
  group: { id: 'sem', label: 'Semaphores', sub: 'SysV' },
  map: { family: 'sem', shared: true },
  idShape: SYSV_ID_SHAPE,
  inodeOfId: noInode,
  name: (ch) => `semid ${ch.semid} ${sysvKeyName(ch.key, sysvKeyText(ch.key))}`,
  label: (ch, ends) => sysvKeyLabel(ch.key, 'semid', ch.semid, sysvKeyText(ch.key)) + (ends ? `  ${ends}` : ''),
  longTitle: (ch) => `SysV semaphore set ${ch.semid} (key ${sysvKeyText(ch.key)}, ${plural(ch.nsems, 'semaphore')})${otherIpcns(ch)}`,
  description: (ch) =>
    (ch.values ? (ch.values.length > CAPS.items ? `${ch.nsems} sems, values ${summarizeList(ch.values)}` : `values ${summarizeList(ch.values)}`) : `${ch.nsems} sem`) + ipcnsNote(ch),
  columns: [
    keyColumn<SysvSemChannel>(),
    c('semid', 'SEMID', 'Set id', 'number', 'Set id', { search: 'number' }),
    c('nsems', 'NSEMS', 'Semaphores', 'number', 'Semaphores in the set'),
    c('values', 'VALUES', 'Values', 'number[]|null', 'Value of each semaphore (GETALL; native addon)'),
    c('waitingForIncrease', 'NCNT', 'Waiting for increase', 'number[]|null', 'Processes waiting for each value to increase'),
    c('waitingForZero', 'ZCNT', 'Waiting for zero', 'number[]|null', 'Processes waiting for each value to become zero'),
    c('lastPid', 'LPID', 'Last operation by', 'number[]|null', 'Last pid that operated on each semaphore', { wide: true, refers: 'pid' }),
    ...ownerColumns<SysvSemChannel>(),
    ipcnsColumn<SysvSemChannel>(),
  ],
  ends: 'holders',
  unheld: SYSV_UNHELD,
  peer: noPeer,
  owner: (ch) => ch.uid,
  mentions: (ch) => (ch.lastPid ?? []).filter((p) => p > 0),
  probe: 'sysv',
  peek: 'sysv-sem',
  paged: false,
  remove: (ch) => (ch.ipcns ? null : { by: 'sysv', family: 'sem', id: ch.semid, noun: 'semaphore set', note: 'processes waiting on it wake up with EIDRM', key: ch.key, uid: ch.uid, creatorUid: ch.creatorUid, changed: ch.changed }),
  queue: (ch) => ({ bytes: null, counts: ch.values, stamp: null }),
  depth: (ch) => {
    if (!ch.values || ch.values.length === 0) return undefined;
    const v: Record<string, number> = {};
    ch.values.slice(0, 8).forEach((x, i) => (v[`sem[${i}]`] = x));
    return v;
  },
  full: never,
  empty: never,
  warnings: (ch) => {
    const waiters = sum(ch.waitingForIncrease) + sum(ch.waitingForZero);
    return waiters > 0 ? [`${plural(waiters, 'process', 'processes')} waiting on the semaphore set`] : [];
  },
  missing: (caps) => (caps.native ? undefined : `native addon not loaded${caps.nativeError ? ` (${caps.nativeError})` : ''} — semaphore values are unknown`),
});
