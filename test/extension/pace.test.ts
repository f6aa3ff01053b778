// The live poller's pace (src/liveSnapshots.ts + core/refreshPace.ts) in the real extension host:
// when scans are slow the wait after each grows so that scanning takes at most a fifth of the
// time, the views' title says how often they refresh, and quick scans bring the setting back.
// The scan service here is one whose scans take a chosen time (a real scan's duration cannot be
// chosen: hundreds of thousands of fds would be needed); the poller, its timer and the log are
// the real ones. The checks are lower bounds on a timer's wait (a timer never fires early), not
// a measure of speed.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { LiveSnapshots, type ScanService } from '../../src/liveSnapshots';
import type { Snapshot, SnapshotDiff } from '../../src/core/model';
import { SNAPSHOT_VERSION } from '../../src/core/model';
import { MAX_SCAN_SHARE } from '../../src/core/refreshPace';
import { waitFor } from './ipcTestUtil';

function emptySnapshot(): Snapshot {
  return { version: SNAPSHOT_VERSION, takenAt: new Date().toISOString(), durationMs: 0, channels: [], processes: [], warnings: [] } as unknown as Snapshot;
}
const emptyDiff = (): SnapshotDiff =>
  ({ version: SNAPSHOT_VERSION, removedChannels: [], changedChannels: [], addedChannels: [], removedProcesses: [], changedProcesses: [], addedProcesses: [], warnings: [] }) as unknown as SnapshotDiff;

describe('refresh pace', function () {
  this.timeout(60_000);

  it('slow scans stretch the wait (at most a fifth of the time scanning), say so, and quick ones restore the setting', async () => {
    let scanMs = 400;
    const starts: number[] = [];
    const ends: number[] = [];
    const service: ScanService = {
      async next() {
        starts.push(performance.now());
        await new Promise((r) => setTimeout(r, scanMs));
        ends.push(performance.now());
        return { diff: emptyDiff(), snapshot: emptySnapshot() };
      },
      dispose() {},
    };
    const log = vscode.window.createOutputChannel('IPC Inspector pace test', { log: true });
    const source = new LiveSnapshots({ createService: () => service, log, interval: () => 250 });
    let stateChanges = 0;
    const sub = source.onDidChangeState(() => stateChanges++);
    try {
      source.setVisible('test', true);
      await waitFor('three scans', () => ends.length >= 3, 30_000);
      assert.equal(source.pace.stretched, true);
      assert.ok(source.pace.delayMs >= 400 * (1 / MAX_SCAN_SHARE - 1), `wait ${source.pace.delayMs} ms after a 400 ms scan`);
      for (let k = 1; k < 3; k++) {
        const wait = starts[k] - ends[k - 1];
        // the measured scan is a little longer than 400 ms (the poller's own work), so is the wait
        assert.ok(wait >= 1590, `wait before scan ${k + 1}: ${wait.toFixed(0)} ms (the setting asks 250)`);
        const share = (ends[k] - starts[k]) / (ends[k] - starts[k] + starts[k] - ends[k - 1]);
        assert.ok(share <= MAX_SCAN_SHARE + 0.01, `scanning took ${(share * 100).toFixed(0)} % of the time`);
      }
      assert.ok(stateChanges >= 1, 'the views were told (their title says "every 1.6 s")');
      scanMs = 5;
      const before = stateChanges;
      await waitFor('quick scans to end the stretch', () => source.pace.stretched === false, 30_000);
      assert.equal(source.pace.delayMs, 250);
      assert.ok(stateChanges > before);
    } finally {
      sub.dispose();
      source.dispose();
      log.dispose();
    }
  });
});
