// Workload generator for the bench: N process pairs × M channels of mixed kinds (pipes,
// socketpairs, unix stream connections, TCP v4/v6 loopback, UDP, FIFOs) plus a few SysV and POSIX
// objects, created by a small C program (workload.c) because it opens tens of thousands of fds in
// a second or two. Everything is torn down by stop(), by the master on EOF of its stdin, or by
// PR_SET_PDEATHSIG if the bench dies.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileC } from './cc';

export interface WorkloadSize {
  label: string;
  /** Process pairs (2 processes each). */
  pairs: number;
  /** Channels per pair; each gives one fd to each process of the pair. */
  channels: number;
}

/**
 * ~5k, ~20k, ~50k and ~200k fds in 20–200 processes; and `3kp`: 3,000 processes with a few fds
 * each (a prefork web server, a build farm, a desktop's worth of services ten times over), where
 * what a snapshot costs per process shows rather than per fd.
 */
export const SIZES: WorkloadSize[] = [
  { label: '5k', pairs: 10, channels: 250 },
  { label: '20k', pairs: 25, channels: 400 },
  { label: '50k', pairs: 50, channels: 500 },
  { label: '200k', pairs: 100, channels: 1000 },
  { label: '3kp', pairs: 1500, channels: 4 },
];

export interface Workload {
  size: WorkloadSize;
  /** fds the workload's processes really hold (counted by the master in /proc). */
  fds: number;
  pids: number[];
  stop(): Promise<void>;
}

const live = new Set<Workload>();

export class WorkloadBuilder {
  readonly bin: string;
  constructor(private readonly tmp: string) {
    this.bin = compileC('workload.c', tmp, ['-lrt', '-pthread']);
    this.sweep();
  }

  /** Removes SysV/POSIX objects a killed earlier run may have left (fixed keys and names). */
  sweep(): void {
    spawnSync(this.bin, ['--sweep'], { stdio: 'ignore' });
  }

  start(size: WorkloadSize, timeoutMs = 60_000): Promise<Workload> {
    const dir = fs.mkdtempSync(path.join(this.tmp, `wl-${size.label}-`));
    const child: ChildProcess = spawn(this.bin, [dir, String(size.pairs), String(size.channels)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let exited = false;
    const exitP = new Promise<void>((resolve) =>
      child.once('exit', () => {
        exited = true;
        resolve();
      }),
    );
    const stop = async (): Promise<void> => {
      live.delete(wl);
      if (!exited) {
        child.stdin?.end();
        const t = setTimeout(() => child.kill('SIGTERM'), 10_000);
        await exitP;
        clearTimeout(t);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    };
    const wl: Workload = { size, fds: 0, pids: [], stop };
    live.add(wl);
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        void stop().then(() => reject(new Error(`workload ${size.label} not ready after ${timeoutMs} ms`)));
      }, timeoutMs);
      child.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
        const line = out.split('\n').find((l) => l.startsWith('READY '));
        if (line) {
          clearTimeout(timer);
          const nums = line.trim().split(/\s+/).slice(1).map(Number);
          wl.fds = nums[0];
          wl.pids = nums.slice(1);
          resolve(wl);
        }
      });
      void exitP.then(() => {
        clearTimeout(timer);
        if (wl.pids.length === 0) {
          fs.rmSync(dir, { recursive: true, force: true });
          live.delete(wl);
          reject(new Error(`workload ${size.label} exited before it was ready`));
        }
      });
    });
  }
}

/** Stops every workload still running (Ctrl-C, errors). */
export async function stopAllWorkloads(): Promise<void> {
  await Promise.all([...live].map((w) => w.stop()));
}
