// Runs one processUsage() in a process of its own for attacker.test.ts, so a read that blocks
// for good hangs this process, not the test runner:
//   node dist/test/integration/usageChild.js PID
// Prints one JSON line: {"ok": true, "usage": {…}} or {"ok": false} (gone, or a read missed its deadline).
import { processUsage } from '../../src/core/processUsage';

async function main(): Promise<void> {
  const r = await processUsage(Number(process.argv[2]), -1);
  process.stdout.write(JSON.stringify(r ? { ok: true, usage: r.usage } : { ok: false }) + '\n');
  process.exit(0);
}

void main();
