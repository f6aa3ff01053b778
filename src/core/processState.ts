// What a process is from its stat facts: a zombie (its one-letter state, threads counted too), a
// kernel thread. Pure.

/**
 * A zombie: exited, waiting for its parent to reap it. State Z with threads still running is no
 * zombie: its main thread has exited (pthread_exit), the process lives on in the others, signals
 * still reach them, and no parent can reap it before they end (status says Threads: 1 for a real
 * zombie).
 */
export function isZombie(p: { state: string; threads: number }): boolean {
  return p.state === 'Z' && p.threads <= 1;
}

/** kthreadd (pid 2) and its children: no command line, no user-space program, no fd. */
export function isKernelThread(p: { pid: number; ppid?: number; cmdline?: readonly string[] }): boolean {
  return (p.pid === 2 || p.ppid === 2) && (p.cmdline?.length ?? 0) === 0;
}

/** USER_HZ: the unit of /proc/PID/stat's start time (100 on every Linux architecture /proc serves). */
const USER_HZ = 100;

/** When a process started, from its start time (clock ticks after boot) and the boot time (`/proc/stat` btime, s since the epoch). */
export function startInstant(startTime: number, bootSeconds: number): Date {
  return new Date(Math.round((bootSeconds + startTime / USER_HZ) * 1000));
}

/** The boot time in `/proc/stat`'s text (`btime N`, s since the epoch), or null. */
export function bootSecondsIn(procStat: string): number | null {
  const m = /^btime (\d+)$/m.exec(procStat);
  return m ? Number(m[1]) : null;
}
