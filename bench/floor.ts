// The raw syscall floor (floor.c): readdir + readlink of every /proc/PID/fd and one read of
// /proc/net/{unix,tcp,tcp6,udp,udp6} and /proc/sysvipc/*, in C, timed inside the program (so
// process start-up is not counted: the floor is as low as it can be).
import { execFileSync } from 'node:child_process';
import { compileC } from './cc';

export interface FloorResult {
  ms: number;
  /** user+sys CPU of the floor process (getrusage), all threads. */
  cpuMs: number;
  threads: number;
  procs: number;
  fds: number;
  sockets: number;
  pipes: number;
  textBytes: number;
}

export class Floor {
  readonly bin: string;
  constructor(tmp: string) {
    this.bin = compileC('floor.c', tmp, ['-pthread']);
  }

  run(threads = 1): FloorResult {
    const out = execFileSync(this.bin, [String(threads)], { encoding: 'utf8' });
    return JSON.parse(out) as FloorResult;
  }
}
