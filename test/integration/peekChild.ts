// Runs one peekChannel() in a process of its own for attacker.test.ts, so a peek that blocks for
// good (what these tests provoke) hangs this process, not the test runner:
//   node dist/test/integration/peekChild.js '{"channel": …, "processes": […], "opts": {…}}'
// Prints one JSON line: {"ok": true, "type", "data" (utf8), "total", "method", "notes"} or {"ok": false, "code", "message"}.
import { peekChannel } from '../../src/core/actions/peek';
import type { Channel, ProcessInfo } from '../../src/core/model';

async function main(): Promise<void> {
  const req = JSON.parse(process.argv[2] ?? '{}') as { channel: Channel; processes?: ProcessInfo[]; opts?: Record<string, unknown> };
  try {
    const r = await peekChannel(req.channel, req.processes ?? [], (req.opts ?? {}) as never);
    const data = r.type === 'bytes' ? r.data.toString('utf8') : undefined;
    const value = r.type === 'semaphores' ? r.semaphores[0]?.value : undefined;
    const method = r.type === 'bytes' ? r.method : undefined;
    process.stdout.write(JSON.stringify({ ok: true, type: r.type, data, value, total: r.type === 'bytes' ? r.total : undefined, method, notes: r.notes }) + '\n');
  } catch (e) {
    const err = e as { code?: string; message?: string };
    process.stdout.write(JSON.stringify({ ok: false, code: err.code ?? 'EIO', message: err.message ?? String(e) }) + '\n');
  }
  process.exit(0);
}

void main();
