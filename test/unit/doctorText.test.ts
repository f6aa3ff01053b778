// doctor's text: the headline of each problem stays a line one can scan, however long the object's
// name another user chose; the title line below it keeps the whole.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { renderDiagnosis } from '../../src/cli/doctor';
import type { Diagnosis, Problem } from '../../src/core/diagnose';

function fifoProblem(path: string): Problem {
  const subject = `FIFO ${path}`;
  return {
    id: `no-other-end:fifo:1:${path}`,
    rule: 'no-other-end',
    severity: 'warning',
    title: `${subject}: a writer, no reader`,
    trouble: 'no reader: writes get EPIPE',
    subject,
    explanation: { what: 'w', why: 'y', next: 'n', fix: 'f' },
    evidence: [],
    channels: ['fifo:1:2'],
    pids: [4242],
    actions: [],
    since: '2026-12-07T12:00:00.000Z',
  };
}

test('a 4,000-character FIFO path is cut in the headline and whole on the title line', () => {
  const path = '/tmp/' + 'a'.repeat(3995) + '\u202e\x1b[31m';
  const d: Diagnosis = { takenAt: '2026-12-07T12:00:00.000Z', problems: [fifoProblem(path)], counts: { error: 0, warning: 1, info: 0 }, notes: [], samples: 1, evidenceMs: 0, rulesMs: 0 };
  const lines = renderDiagnosis(d, true).split('\n');
  const head = lines.find((l) => l.startsWith('WARNING'));
  assert.ok(head, 'a headline');
  assert.match(head, /^WARNING no-other-end {2}no reader: writes get EPIPE — FIFO \/tmp\/a+…$/);
  assert.ok([...head].length < 240, `headline of ${[...head].length} code points`);
  const title = lines.find((l) => l.startsWith('  title '));
  assert.ok(title?.includes('a'.repeat(3995)), 'the title line keeps the whole path');
  // escaped on both lines: no raw bidi override or escape sequence reaches the terminal
  assert.ok(!/[\u202e\x1b]/.test(lines.join('\n')));
});
