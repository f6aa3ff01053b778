// Shared helpers for unit tests: where captured /proc text lives, a snapshot around some channels.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Channel, Snapshot } from '../../src/core/model';

/** test/unit/data, from the bundled test in dist/test/unit or from the source tree. */
export const DATA_DIR = (() => {
  for (const p of [path.resolve(__dirname, '../../../test/unit/data'), path.resolve(__dirname, 'data')]) if (fs.existsSync(p)) return p;
  return path.resolve(__dirname, '../../../test/unit/data');
})();

export function data(name: string): string {
  return fs.readFileSync(path.join(DATA_DIR, name), 'utf8');
}

/** A snapshot of these channels and no processes (root, native, every capability). */
export function snapshotOf(channels: Channel[], takenAt = '2026-01-01T00:00:00.000Z'): Snapshot {
  return {
    version: 1,
    takenAt,
    durationMs: 1,
    host: { kernel: '6.18', hostname: 'h' },
    capabilities: { native: true, mqueueMounted: true, sockDiag: true, msgCopy: true, pidfd: true, root: true, euid: 0, ptraceScope: 1, threads: 1 },
    warnings: [],
    processes: [],
    channels,
  };
}
