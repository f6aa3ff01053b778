// The CLI's doctor is one-shot: no refresh comes after its last snapshot, so a socket-file scan
// its deadline cut short is never finished there. Its note must not promise a next refresh
// (the views' wording), and the scan gets a budget of its own, seconds instead of the views'
// shared 60 ms — still a deadline. Here the phases before the scan have no time at all
// (deadlineMs 0): the views' scan stops after one directory, the doctor's reads them all.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { gatherEvidence, ONE_SHOT_EVIDENCE, socketScanNote, type EvidenceOptions } from '../../src/core/diagnose/evidence';
import { diagnoserOptions } from '../../src/cli/doctor';

let root = '';
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-oneshot-'));
  for (let i = 0; i < 12; i++) fs.mkdirSync(path.join(root, `d${i}`));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const scanOf = (opts: EvidenceOptions) => gatherEvidence([{ socketDirs: [] }], { socketRoots: [{ dir: root, depth: 1 }], socketMaxEntries: 5000, ...opts });
const cutNote = (notes: readonly string[]) => notes.find((n) => n.startsWith('socket-file scan stopped early'));

test('socketScanNote: a refreshing run promises the next refresh, a one-shot run does not', () => {
  assert.match(socketScanNote('deadline reached', true, false), /not reported yet \(the next refresh goes on\)$/);
  const once = socketScanNote('deadline reached', true, true);
  assert.doesNotMatch(once, /next refresh|yet/);
  assert.match(once, /^socket-file scan stopped early \(deadline reached\): stale sockets beyond it are not reported in this run$/);
  assert.doesNotMatch(socketScanNote('more than 5000 directory entries', false, false), /next refresh/, 'a count limit is not gone on with');
});

test('a scan cut by its budget: the views\' note promises the next refresh, the one-shot note does not', () => {
  const views = scanOf({ socketScanMs: 0 });
  assert.match(cutNote(views.notes) ?? '', /the next refresh goes on/);
  const once = scanOf({ socketScanMs: 0, oneShot: true });
  assert.ok(cutNote(once.notes), once.notes.join('; '));
  assert.doesNotMatch(once.notes.join('\n'), /next refresh/);
});

test('the CLI doctor\'s evidence: a one-shot run whose socket-file scan has seconds, and finishes where the views\' shared budget does not', () => {
  const opts = diagnoserOptions(undefined);
  assert.equal(opts.oneShot, true);
  assert.ok(opts.socketScanMs !== undefined && Number.isFinite(opts.socketScanMs) && opts.socketScanMs >= 1000 && opts.socketScanMs <= 10_000, `a bounded budget: ${opts.socketScanMs}`);
  assert.deepEqual(diagnoserOptions([42]).pids, [42]);
  assert.equal(diagnoserOptions([42]).socketScanMs, ONE_SHOT_EVIDENCE.socketScanMs);
  // the other phases too: the views' 60 ms, shared by a refresh, is not the doctor's
  assert.ok(opts.deadlineMs !== undefined && opts.deadlineMs >= 500 && opts.deadlineMs <= opts.socketScanMs, `a bounded deadline: ${opts.deadlineMs}`);

  // the phases before the scan used the whole budget: the views' scan is cut (or skipped) ...
  const views = scanOf({ deadlineMs: 0, minPhaseMs: 0 });
  assert.ok(views.scanned.length < 13, `the views' scan read ${views.scanned.length} directories`);
  // ... the doctor's reads every directory, with no note about it
  const doctor = scanOf({ ...opts, deadlineMs: 0, minPhaseMs: 0 });
  assert.equal(doctor.scanned.length, 13, doctor.notes.join('; '));
  assert.equal(cutNote(doctor.notes), undefined);
});
