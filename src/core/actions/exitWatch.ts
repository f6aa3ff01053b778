// Waiting for one exact process to exit. A pidfd is opened once and its start time checked, so
// the watch is bound to that process; `alive()` then asks through the pidfd (signal 0 —
// ESRCH once it has been reaped) and reads /proc/PID/stat for a zombie (exited, not yet reaped:
// its sockets are already closed) or a different start time (reaped and the pid reused — the
// pidfd still answering says the first can only be the zombie case). Without the native addon the
// start time alone is checked, which is exact as long as the pid was not reused in between.
import * as fs from 'node:fs';
import { errnoName, loadNative, type NativeAddon } from '../native';
import { parseStat } from '../parsers/procPid';
import { statIsRunning } from './signal';

export class ExitWatch {
  private pidfd: number | null = null;
  private closed = false;

  private constructor(
    readonly pid: number,
    readonly startTime: number,
    private readonly native: NativeAddon | null,
    private readonly procRoot: string,
  ) {}

  /** Opens the watch, or returns null when the process is already gone (or replaced). */
  static open(pid: number, startTime: number, opts: { native?: NativeAddon | null; procRoot?: string } = {}): ExitWatch | null {
    const native = opts.native !== undefined ? opts.native : loadNative().addon;
    const w = new ExitWatch(pid, startTime, native, opts.procRoot ?? '/proc');
    if (native) {
      try {
        w.pidfd = native.pidfdOpen(pid);
      } catch {
        return null; // ESRCH: gone
      }
    }
    if (!w.statAlive()) {
      w.close();
      return null;
    }
    return w;
  }

  private statAlive(): boolean {
    let text: string;
    try {
      text = fs.readFileSync(`${this.procRoot}/${this.pid}/stat`, 'utf8');
    } catch {
      return false;
    }
    const st = parseStat(text);
    return !!st && statIsRunning(st, this.startTime);
  }

  /** False once the process has exited (zombie or reaped). */
  alive(): boolean {
    if (this.closed) return false;
    if (this.native && this.pidfd !== null) {
      try {
        this.native.pidfdSendSignal(this.pidfd, 0);
      } catch (e) {
        if (errnoName(e) === 'ESRCH') return false; // reaped
        // EPERM (another user's process, not root): the pidfd cannot tell; /proc still can
      }
    }
    return this.statAlive();
  }

  /** Polls until the process exits or `timeoutMs` passes; resolves true when it exited. */
  async waitExit(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    let delay = 10;
    for (;;) {
      if (!this.alive()) return true;
      if (performance.now() >= end || signal?.aborted) return false;
      await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(1, end - performance.now()))));
      delay = Math.min(delay * 2, 100);
    }
  }

  close(): void {
    this.closed = true;
    if (this.native && this.pidfd !== null) {
      try {
        this.native.closeFd(this.pidfd);
      } catch {
        /* EBADF: closed already; closing a pidfd has nothing else to fail on */
      }
    }
    this.pidfd = null;
  }
}
