// core/escape.ts on hostile strings: every surface's escaping defeats what that surface
// interprets (VS Code's notification link parser, codicons in quick picks, Markdown in tooltips,
// terminal control sequences, JSON viewers), and leaves ordinary text alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  dialogText, escapeControl, escapeIcons, escapeLinks, escapeMarkdown, hasRenderedIcon, notificationText, oneLine, quickPickText, safeJson, truncate,
  VSCODE_LINK_PATTERN, ELLIPSIS,
} from '../../src/core/escape';

const LINK = '[x](command:workbench.action.terminal.new)';
const HOSTILE = [
  LINK,
  '[click me](https://evil.example/)',
  '[f](file:///etc/shadow)',
  `a ${LINK} b`,
  '[x]](command:a)',
  '[[x]](command:a)',
  '[x](command:a "title")',
  "[x](command:a 'title')",
  '$(zap) $(loading~spin) \\$(x)',
  '**bold** <img src=x onerror=alert(1)> &amp; `code` www.evil.com https://evil.example',
  'esc \x1b[31mred\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x07 csi\x9b31m',
  'nl\nline2\rcr\ttab\0nul\x7fdel\x85nel',
  'bidi \u202eexe.txt \u2066x\u2069 \u200f \u061c \ufeff',
  'sep \u2028 \u2029',
  'lone \ud800 x \udc00',
];

test('escapeControl: every control, separator, bidi and lone surrogate becomes visible; text stays', () => {
  assert.equal(escapeControl('plain name'), 'plain name');
  assert.equal(escapeControl('emoji 😀 ünïcode'), 'emoji 😀 ünïcode');
  assert.equal(escapeControl('\x1b[31m'), '\\x1b[31m');
  assert.equal(escapeControl('\x9b'), '\\x9b');
  assert.equal(escapeControl('a\u061cb'), 'a\\u061cb');
  assert.equal(escapeControl('a\nb', { keepNewlines: true }), 'a\nb');
  assert.equal(escapeControl('a\rb', { keepNewlines: true }), 'a\\rb');
  for (const s of HOSTILE) {
    const e = escapeControl(s);
    assert.ok(!/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff]/.test(e), JSON.stringify(e));
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(e), `lone surrogate left in ${JSON.stringify(e)}`);
  }
});

test('escapeLinks / notificationText: VS Code\'s link parser finds no link, the text reads the same', () => {
  for (const s of HOSTILE) {
    const n = notificationText(s);
    assert.ok(!VSCODE_LINK_PATTERN.test(n), `a link survives in ${JSON.stringify(n)}`);
    assert.equal(n.replace(/\u200b/g, ''), escapeControl(s), 'only invisible characters were added');
  }
  // Links cannot be completed by the text around an escaped piece either.
  assert.ok(!VSCODE_LINK_PATTERN.test('[x' + escapeLinks('](command:a)')));
  assert.ok(!VSCODE_LINK_PATTERN.test(escapeLinks('[x]') + '(command:a)'));
  assert.ok(!VSCODE_LINK_PATTERN.test('[x]' + escapeLinks('(command:a)')));
  // The parser's own pattern really matches the unescaped forms (the test can fail).
  assert.ok(VSCODE_LINK_PATTERN.test(LINK));
  assert.ok(VSCODE_LINK_PATTERN.test(`Removed POSIX shared memory /${LINK} (0 bytes)`));
  assert.equal(escapeLinks('no links (here) [or] here'), 'no links (here) [or] here');
  assert.equal(escapeLinks(escapeLinks(LINK)), escapeLinks(LINK), 'idempotent');
  // Newlines: notifications show one line; modal details keep their lines.
  assert.equal(notificationText('a\nb'), 'a\\nb');
  assert.equal(dialogText(`a\n${LINK}`).split('\n').length, 2);
  assert.ok(!VSCODE_LINK_PATTERN.test(dialogText(`a\n${LINK}`)));
});

test('escapeIcons / quickPickText: no $(icon) is rendered, the literal text is shown', () => {
  assert.equal(escapeIcons('$(zap)'), '\\$(zap)');
  assert.equal(escapeIcons('$(loading~spin)x'), '\\$(loading~spin)x');
  assert.equal(escapeIcons('\\$(zap)'), '\\\\$(zap)', 'an existing backslash stays visible');
  assert.equal(escapeIcons('$(not an icon) $( ) $x'), '$(not an icon) $( ) $x');
  for (const s of HOSTILE) assert.equal(hasRenderedIcon(quickPickText(s)), false, quickPickText(s));
  assert.equal(hasRenderedIcon('$(zap)'), true, 'the check itself sees icons');
  assert.equal(hasRenderedIcon('x$(zap)'), true);
  assert.equal(hasRenderedIcon('\\$(zap)'), false);
  assert.equal(quickPickText('a\nb $(zap)'), 'a\\nb \\$(zap)');
});

test('escapeMarkdown: every ASCII punctuation is escaped, so nothing is markup', () => {
  assert.equal(escapeMarkdown('plain words 123'), 'plain words 123');
  assert.equal(escapeMarkdown(LINK), '\\[x\\]\\(command\\:workbench\\.action\\.terminal\\.new\\)');
  for (const s of HOSTILE) {
    const m = escapeMarkdown(s);
    // Every ASCII punctuation character is preceded by a backslash that is itself not escaped.
    for (let i = 0; i < m.length; i++) {
      if (/[!-/:-@[-`{-~]/.test(m[i]) && m[i] !== '\\') {
        let k = i - 1;
        let n = 0;
        while (k >= 0 && m[k] === '\\') {
          n++;
          k--;
        }
        assert.equal(n % 2, 1, `unescaped ${JSON.stringify(m[i])} at ${i} in ${JSON.stringify(m)}`);
      }
    }
    assert.ok(!/https?:\/\//.test(m) && !/www\./.test(m), 'no autolink survives');
  }
});

test('truncate / oneLine: bounded by code points, never splits a surrogate pair, ends with an ellipsis', () => {
  assert.equal(truncate('abcdef', 6), 'abcdef');
  assert.equal(truncate('abcdefg', 6), 'abcde' + ELLIPSIS);
  assert.equal([...truncate('😀'.repeat(10), 5)].length, 5);
  assert.equal(truncate('😀'.repeat(10), 5), '😀'.repeat(4) + ELLIPSIS);
  assert.equal(truncate('😀'.repeat(5), 5), '😀'.repeat(5));
  assert.equal(truncate('x', 0), '');
  const huge = 'A'.repeat(2_000_000);
  assert.equal([...oneLine(huge, 1000)].length, 1000);
  assert.ok(oneLine('\x1b'.repeat(5000), 100).length <= 100);
});

test('safeJson: C1, DEL, separators and bidi controls become \\u escapes; the value round-trips', () => {
  const value = { name: HOSTILE.join('|'), nested: ['\x9b2J', '\u202e'], n: 1 };
  const text = safeJson(value, 2);
  assert.ok(!/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff]/.test(text), text);
  assert.deepEqual(JSON.parse(text), value);
  assert.ok(text.includes('\\u009b'));
  assert.ok(text.includes('\\u202e'));
  assert.ok(text.includes('\\u001b'));
  assert.equal(safeJson(undefined), 'null');
  // What plain JSON.stringify leaves raw (why safeJson exists).
  assert.ok(/[\x9b\u202e]/.test(JSON.stringify(value)));
});
