// Runs one raw /proc fd walk in a process of its own for attacker.test.ts: the first walk in a
// process meets a stuck process afresh (later walks in the same process skip its pid at once),
// and a walk thread blocked for good hangs this process, not the test runner:
//   node dist/test/integration/walkChild.js '{"pids":[…],"inode":N,"options":{…}}'
// Prints one JSON line: the rows of `pids` whose inode is `inode`, what the walk counted past its
// budget for them, and the processes it gave up (stuck).
import { loadNative } from '../../src/core/native';
import { walkRulesFor } from '../../src/core/kinds';
import { runWalk } from '../../src/core/walkBackend';

async function main(): Promise<void> {
  const { pids, inode, options } = JSON.parse(process.argv[2]) as { pids: number[]; inode: number; options: Record<string, unknown> };
  const mine = new Set(pids);
  const o = { procRoot: '/proc', threads: 0, readTimers: false, readLinks: false, ...walkRulesFor(['pipe']), ...options };
  const run = await runWalk({ native: loadNative().addon, bpf: null }, o, 'proc', []);
  const w = run.walk;
  let rows = 0;
  for (let i = 0; i < w.fds.pid.length; i++) if (mine.has(w.fds.pid[i]) && w.fds.inode[i] === inode) rows++;
  let past = 0;
  const stuck: number[] = [];
  for (const p of w.processes) {
    if (!p) continue;
    if (mine.has(p.pid)) past += p.fdsPastBudget ?? 0;
    if (p.stuck) stuck.push(p.pid);
  }
  process.stdout.write(JSON.stringify({ backend: run.capability.backend, rows, past, stuck }) + '\n');
  process.exit(0);
}

void main();
