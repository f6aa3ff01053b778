// The raw syscall floor (floor.c): readdir + readlink of every /proc/PID/fd and one read of
// /proc/net/{unix,tcp,tcp6,udp,udp6} and /proc/sysvipc/*, in C, timed inside the program (so
// process start-up is not counted: the floor is as low as it can be).
import { execFileSync } from 'node:child_process';
import { compileC } from './cc';

export interface FloorResult {
  ms: number;
  /** user+sys CPU of the floor process (getrusage), all threads. */
  cpuMs: number;
  /** Minor page faults of the floor process (getrusage), start-up included. */
  minflt: number;
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

  /** µs per fault on a fresh 4 KiB anonymous page on this machine (floor.c --fault-cost). */
  faultCostUs(): number {
    const out = execFileSync(this.bin, ['--fault-cost'], { encoding: 'utf8' });
    return (JSON.parse(out) as { faultUs: number }).faultUs;
  }
}
