// Compiles the bench's small C helpers (workload.c, floor.c) with the system `cc` at bench time,
// into a private temp dir. The sources sit in bench/ next to this file's source.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** bench/ in the repo, found from the bundle (dist/bench.js) or the source. */
export function benchSourceDir(): string {
  for (let dir = __dirname, i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const p = path.join(dir, 'bench', 'workload.c');
    if (fs.existsSync(p)) return path.dirname(p);
    if (fs.existsSync(path.join(dir, 'workload.c'))) return dir;
  }
  throw new Error('bench/workload.c not found next to the bench bundle');
}

export function compileC(source: string, outDir: string, extra: string[] = []): string {
  const out = path.join(outDir, path.basename(source, '.c'));
  try {
    execFileSync('cc', ['-O2', '-o', out, path.join(benchSourceDir(), source), ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`cc ${source} failed (is a C compiler installed? apt-get install gcc): ${err.stderr?.toString() || err.message}`);
  }
  return out;
}
