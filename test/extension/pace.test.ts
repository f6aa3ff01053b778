// The live poller's pace (src/liveSnapshots.ts + core/refreshPace.ts) in the real extension host:
// when scans are slow (three in a row) the wait after each grows so that scanning takes at most a
// fifth of the time, the log says so, and three quick scans in a row bring the setting back.
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

  it('three slow scans in a row stretch the wait (at most a fifth of the time scanning), one alone does not; one quick scan does not end it, three do', async () => {
    let scanMs = 400;
    const starts: number[] = [];
    const ends: number[] = [];
    const service: ScanService = {
      async next() {
        starts.push(performance.now());
        await new Promise((r) => setTimeout(r, scanMs));
        ends.push(performance.now());
        if (ends.length === 1) scanMs = 5; // the first scan alone is slow (a worker starting)
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
      assert.equal(stateChanges, 1, 'going live is announced (the status bar then drops its "as of")');
      stateChanges = 0;
      await waitFor('four scans', () => ends.length >= 4, 30_000);
      assert.equal(source.pace.stretched, false, 'one slow scan (the first) does not stretch the wait');
      assert.equal(stateChanges, 0);
      scanMs = 400;
      const from = ends.length;
      await waitFor('three slow scans and two more', () => ends.length >= from + 5, 60_000);
      assert.equal(source.pace.stretched, true);
      assert.ok(source.pace.delayMs >= 400 * (1 / MAX_SCAN_SHARE - 1), `wait ${source.pace.delayMs} ms after 400 ms scans`);
      for (let k = from + 3; k < from + 5; k++) {
        const wait = starts[k] - ends[k - 1];
        // the measured scan is a little longer than 400 ms (the poller's own work), so is the wait
        assert.ok(wait >= 1590, `wait before scan ${k + 1}: ${wait.toFixed(0)} ms (the setting asks 250)`);
        const share = (ends[k] - starts[k]) / (ends[k] - starts[k] + starts[k] - ends[k - 1]);
        assert.ok(share <= MAX_SCAN_SHARE + 0.01, `scanning took ${(share * 100).toFixed(0)} % of the time`);
      }
      assert.ok(stateChanges >= 1, 'the stretch was announced');
      // one quick scan between slow ones (scans that hover at the line) keeps the stretch
      scanMs = 5;
      const lastQuick = () => ends.length > 0 && ends[ends.length - 1] - starts[ends.length - 1] < 100;
      await waitFor('one quick scan', lastQuick, 30_000);
      scanMs = 400;
      assert.equal(source.pace.stretched, true, 'one quick scan among slow ones does not end the stretch');
      let n = ends.length;
      await waitFor('a slow scan after it', () => ends.length >= n + 1, 30_000);
      assert.equal(source.pace.stretched, true);
      scanMs = 5;
      const before = stateChanges;
      n = ends.length;
      await waitFor('three quick scans to end the stretch', () => source.pace.stretched === false, 30_000);
      assert.ok(ends.length >= n + 3, `ended after ${ends.length - n} quick scans`);
      assert.equal(source.pace.delayMs, 250);
      assert.ok(stateChanges > before);
    } finally {
      sub.dispose();
      source.dispose();
      log.dispose();
    }
  });
});
