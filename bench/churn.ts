// Runs the churn generator (churn.c) for the soak bench: an episode process forked every few ms,
// each making one kind of IPC object, using it briefly and tearing it down. Reports its cumulative
// counts (the STATS lines it prints every 10 s); stop() ends it (EOF on its stdin), and it dies
// with the bench (PR_SET_PDEATHSIG) if the bench is killed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileC } from './cc';

export interface ChurnOptions {
  /** µs between episodes (default 5000: 200 processes a second, plus their children). */
  spawnUs?: number;
  /** Episodes running at once at most (default 80). */
  maxLive?: number;
}

export class Churn {
  /** The latest cumulative counts: episodes run per kind, `failed`, and `live`. */
  counts: Record<string, number> = {};
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly bin: string;
  private readonly dir: string;

  constructor(tmp: string) {
    this.bin = compileC('churn.c', tmp, ['-lrt', '-pthread']);
    // short: unix socket paths (DIR/u.N/s) must fit in sun_path
    this.dir = fs.mkdtempSync(path.join(tmp, 'c-'));
  }

  start(opts: ChurnOptions = {}): Promise<number> {
    const c = spawn(this.bin, [this.dir, String(opts.spawnUs ?? 5000), String(opts.maxLive ?? 80)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = c;
    this.exited = new Promise((resolve) => c.once('exit', () => resolve()));
    let buf = '';
    return new Promise((resolve, reject) => {
      c.once('error', reject);
      void this.exited.then(() => reject(new Error('churn exited before it was ready')));
      c.stdout!.on('data', (b: Buffer) => {
        buf += b.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.startsWith('READY ')) resolve(Number(line.slice(6)));
          else if (line.startsWith('STATS ')) {
            const counts: Record<string, number> = {};
            for (const kv of line.slice(6).split(' ')) {
              const [k, v] = kv.split('=');
              counts[k] = Number(v);
            }
            this.counts = counts;
          }
        }
      });
    });
  }

  /** Episodes run so far, all kinds. */
  total(): number {
    return Object.entries(this.counts).reduce((n, [k, v]) => (k === 'live' || k === 'failed' ? n : n + v), 0);
  }

  async stop(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (c && c.exitCode === null && c.signalCode === null) {
      c.stdin?.end();
      const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(t);
    }
    // objects of episodes killed on the way (SIGKILL) are found by their fixed names and keys
    spawnSync(this.bin, ['--sweep'], { stdio: 'ignore' });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
