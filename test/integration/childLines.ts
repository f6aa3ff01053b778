// A child process's stdout as lines, for tests that talk to a helper process line by line (the
// attacker tools, the native tests' fixtures): `next()` waits for the next line, with a deadline
// so a helper that died or hangs fails the test instead of stalling it.
import type { ChildProcess } from 'node:child_process';

/** Reads a child's stdout as lines; `next()` resolves with the next one. */
export function lineReader(child: ChildProcess): { next: (what?: string) => Promise<string>; all: string[] } {
  let buf = '';
  const all: string[] = [];
  const queue: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      all.push(l);
      const w = waiters.shift();
      if (w) w(l);
      else queue.push(l);
    }
  });
  const next = (what = 'a line') => {
    const l = queue.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what} from pid ${child.pid}`)), 20_000);
      waiters.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
    });
  };
  return { next, all };
}
