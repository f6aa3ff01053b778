// Semaphores: a SysV set's values, waiters and last pids now (semctl on the addon's thread; the
// scan's values without it); a POSIX named semaphore's value from its file's glibc sem_t (pread of
// a checked file — never sem_open, which maps it: a short file, any user can make one, faults),
// and how many threads wait in sem_wait (glibc's count beside the value in the same word).
import type { PosixSemChannel, SysvSemChannel } from '../../model';
import { decodeSem, decodeSemWaiters, readSemState, SEM_T_SIZE } from '../../untrustedFiles';
import { ActionError } from '../errors';
import { explainPeek, ownerOf, posixObjectFile, shownFile, type Peeker } from './common';
import { readUnnamed } from './sharedMemory';
import type { SemaphoreState } from './types';
import { shownName } from '../../format';

export const peekSysvSem: Peeker<SysvSemChannel> = async ({ channel, native, base, at, call }) => {
  let values = channel.values;
  let ncnt = channel.waitingForIncrease;
  let zcnt = channel.waitingForZero;
  let pids = channel.lastPid;
  let method = 'snapshot (semctl GETALL at scan time)';
  const what = `read semaphore set ${channel.semid}`;
  if (native) {
    try {
      const s = await call(what, () => native.semStat(channel.semid));
      values = s.values;
      ncnt = s.ncnt;
      zcnt = s.zcnt;
      pids = s.pids;
      method = 'semctl(GETALL, GETNCNT, GETZCNT, GETPID)';
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'EINVAL' || code === 'EIDRM') throw new ActionError('EIDRM', `semaphore set ${channel.semid} no longer exists`, 'refresh');
      throw explainPeek(e, { what, ...ownerOf(channel) });
    }
  } else {
    base.notes.push('native addon not loaded: values are those of the last scan');
  }
  const n = values?.length ?? channel.nsems;
  const semaphores: SemaphoreState[] = [];
  for (let i = 0; i < n; i++) {
    semaphores.push({ index: i, value: values?.[i] ?? null, waitingForIncrease: ncnt?.[i] ?? null, waitingForZero: zcnt?.[i] ?? null, lastPid: pids?.[i] ?? null });
  }
  return { ...base, type: 'semaphores', at: at(), method, semaphores };
};

export const peekPosixSem: Peeker<PosixSemChannel> = async (ctx) => {
  const { channel, devRoot, base, at, call } = ctx;
  if (channel.otherMount || channel.deleted) {
    // another /dev/shm's (its name here is another file) or unlinked (no name at all): the sem_t is read through a holder's mapping
    const what = channel.deleted ? `an unlinked POSIX semaphore (/dev/shm/sem.${shownName(channel)} (deleted))` : `a POSIX semaphore of another /dev/shm (${shownName(channel)})`;
    const r = await readUnnamed({ ...ctx, maxBytes: SEM_T_SIZE, offset: 0 }, what);
    let value: number;
    try {
      value = decodeSem(what, SEM_T_SIZE, r.data);
    } catch (e) {
      throw explainPeek(e, { what, ...ownerOf(channel) });
    }
    return { ...base, type: 'semaphores', at: at(), method: `${r.method}: its glibc sem_t`, semaphores: [{ index: 0, value, waitingForIncrease: decodeSemWaiters(r.data), waitingForZero: null, lastPid: null }] };
  }
  const file = posixObjectFile(channel, devRoot, 'shm', 'sem.');
  const what = `read POSIX semaphore /${shownName(channel)}`;
  let state: { value: number; waiters: number | null };
  try {
    state = await call(what, () => readSemState(file));
  } catch (e) {
    throw explainPeek(e, { what, ...ownerOf(channel) });
  }
  return {
    ...base, type: 'semaphores', at: at(), method: `pread(${shownFile(file)}) of its glibc sem_t`,
    // sem_wait blockers: glibc's count of them (a POSIX semaphore has no "wait for zero")
    semaphores: [{ index: 0, value: state.value, waitingForIncrease: state.waiters, waitingForZero: null, lastPid: null }],
  };
};
