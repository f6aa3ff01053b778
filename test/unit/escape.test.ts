// core/escape.ts on hostile strings: every surface's escaping defeats what that surface
// interprets (VS Code's notification link parser, codicons in quick picks, Markdown in tooltips,
// terminal control sequences, JSON viewers), and leaves ordinary text alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  clipboardText, dialogText, dialogTitle, escapeControl, escapeIcons, escapeLinks, escapeMarkdown, hasRenderedIcon, notificationText, oneLine, quickPickText, safeJson, truncate,
  VSCODE_LINK_PATTERN, ELLIPSIS,
} from '../../src/core/escape';
import { channelName, containerLabel, shownChannel } from '../../src/core/format';
import { bytesText } from '../../src/core/text';
import type { Channel } from '../../src/core/model';
import type { ContainerInfo } from '../../src/core/model';

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
  'zero-width ngin\u200bx \u200c\u200d \u2060 \u00ad \u034f \u180e \u3164 \ufe0f \ufff9hidden\ufffb',
  'tags \u{e0041}\u{e0042} \u{1d173} \u{1bca0}',
];

/** Code points that draw nothing (Default_Ignorable_Code_Point, the interlinear annotation controls): a name with one reads as another. */
// eslint-disable-next-line no-misleading-character-class -- code points listed by escape on purpose: combining ones (variation selectors) among them
const INVISIBLE = /[\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\u{1bca0}-\u{1bca3}\u{1d173}-\u{1d17a}\u{e0000}-\u{e0fff}]/u;

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
    assert.ok(!INVISIBLE.test(e), `an invisible character left in ${JSON.stringify(e)}`);
  }
});

test('escapeControl: characters that draw nothing become visible, so two names never look the same', () => {
  assert.equal(escapeControl('ngin\u200bx'), 'ngin\\u200bx');
  assert.notEqual(escapeControl('ngin\u200bx'), escapeControl('nginx'));
  assert.equal(escapeControl('a\u2060b\u00adc'), 'a\\u2060b\\u00adc');
  assert.equal(escapeControl('x\u{e0041}y'), 'x\\u{e0041}y', 'a tag character (a surrogate pair) as one escape');
  assert.equal(escapeControl('\u{e0041}'.repeat(3)), '\\u{e0041}'.repeat(3));
  assert.equal(escapeControl('emoji 😀 and 𝄞'), 'emoji 😀 and 𝄞', 'visible astral characters stay');
  // every code point the check above looks for, one by one (the check can fail: the raw text has them)
  for (const cp of [0x00ad, 0x034f, 0x115f, 0x17b4, 0x180e, 0x200b, 0x200c, 0x200d, 0x2060, 0x2064, 0x206f, 0x3164, 0xfe0f, 0xffa0, 0xfff9, 0x1bca0, 0x1d173, 0xe0001, 0xe007f, 0xe01ef]) {
    const raw = `a${String.fromCodePoint(cp)}b`;
    assert.ok(INVISIBLE.test(raw));
    assert.ok(!INVISIBLE.test(escapeControl(raw)), `U+${cp.toString(16)} left raw`);
  }
});

test('dialogTitle: one line whatever the name holds; dialogText keeps only the lines we join', () => {
  const title = dialogTitle('Remove the socket file /tmp/x\n\nIt is yours: removing it is safe.?');
  assert.ok(!title.includes('\n'), title);
  assert.equal(title, 'Remove the socket file /tmp/x\\n\\nIt is yours: removing it is safe.?');
  assert.ok(!VSCODE_LINK_PATTERN.test(dialogTitle('Remove /[x](command:a)?')));
  assert.equal(dialogText('line 1\nline 2').split('\n').length, 2);
});

test('clipboardText: ESC (a bracketed paste ended early), C1, bidi and invisible characters escaped; lines and tabs kept', () => {
  const bytes = 'echo hi\x1b[201~rm -rf ~\n\tnext\u009b2J\u202e\u200b';
  const t = clipboardText(bytes);
  assert.equal(t, 'echo hi\\x1b[201~rm -rf ~\n\tnext\\x9b2J\\u202e\\u200b');
  assert.ok(!/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(t));
  assert.equal(clipboardText('plain\ntext\twith tabs'), 'plain\ntext\twith tabs');
});

test('containerLabel: a rootless runtime\'s names (its user\'s text) escaped and bounded', () => {
  const c: ContainerInfo = {
    runtime: 'podman', id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90', name: 'web\n[x](command:evil)\u202e\u200b' + 'n'.repeat(2000),
    pod: { uid: 'u', name: 'p\x1b[2J', namespace: 'ns\u2066' }, rootlessUid: 65534, cgroup: '/user.slice',
  } as ContainerInfo;
  const label = containerLabel(c);
  assert.ok(!/[\x00-\x1f\x7f-\x9f]/.test(label) && !INVISIBLE.test(label), JSON.stringify(label));
  assert.ok(label.startsWith('podman web\\n[x](command:evil)\\u202e\\u200bnnn'), label);
  assert.ok(label.length < 400, `bounded: ${label.length}`);
  assert.match(label, /, pod ns\\u2066\/p\\x1b\[2J, rootless \(uid 65534\)$/);
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

test('safeJson: C1, DEL, separators, bidi and invisible characters become \\u escapes; the value round-trips', () => {
  const value = { name: HOSTILE.join('|'), nested: ['\x9b2J', '\u202e'], n: 1 };
  const text = safeJson(value, 2);
  assert.ok(!/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff]/.test(text), text);
  assert.deepEqual(JSON.parse(text), value);
  assert.ok(text.includes('\\u009b'));
  assert.ok(text.includes('\\u202e'));
  assert.ok(text.includes('\\u001b'));
  assert.ok(text.includes('\\u200b'), 'ZERO WIDTH SPACE escaped');
  assert.ok(text.includes('\\udb40\\udc41'), 'a tag character escaped as its surrogate pair');
  assert.ok(!INVISIBLE.test(text), text);
  assert.equal(safeJson(undefined), 'null');
  // What plain JSON.stringify leaves raw (why safeJson exists).
  assert.ok(/[\x9b\u202e]/.test(JSON.stringify(value)));
});

test('bytesText / shownChannel: a POSIX name that is not UTF-8 reads as its bytes, not as the U+FFFD text a valid name can hold', () => {
  const b = (...x: number[]) => Uint8Array.from(x);
  assert.equal(bytesText(b(0x71, 0xff)), 'q\\xff');
  assert.equal(bytesText(b(0x71, 0xfe)), 'q\\xfe');
  assert.equal(bytesText(b(0x71, 0xef, 0xbf, 0xbd)), 'q\ufffd', 'a valid U+FFFD stays what it is');
  assert.equal(bytesText(b(0xc3, 0xa9, 0xe2, 0x80, 0xae)), '\u00e9\u202e', 'valid sequences decode (escapeControl handles the bidi after)');
  assert.equal(bytesText(b(0xe0, 0x80, 0x80)), '\\xe0\\x80\\x80', 'an overlong form is no character');
  assert.equal(bytesText(b(0xed, 0xa0, 0x80)), '\\xed\\xa0\\x80', 'nor is a UTF-16 surrogate');
  assert.equal(bytesText(b(0x61, 0xe2, 0x80)), 'a\\xe2\\x80', 'a sequence cut short at the end');
  assert.equal(bytesText(b(0xf0, 0x9f, 0x98, 0x80)), '😀');
  const shm = (id: string, name: string) => ({ id, kind: 'posix-shm', name, size: 1, uid: 0, owner: 'root', mode: '0644', deleted: false, endpoints: [] }) as unknown as Channel;
  const names = [shm('posix-shm:bytes/71ff', 'q\ufffd'), shm('posix-shm:bytes/71fe', 'q\ufffd'), shm('posix-shm:q\ufffd', 'q\ufffd')].map((c) => channelName(c));
  assert.deepEqual(names, ['/q\\xff', '/q\\xfe', '/q\ufffd'], 'three objects, three names');
  const plain = shm('posix-shm:plain', 'plain');
  assert.equal(shownChannel(plain), plain, 'a UTF-8 name: the channel itself');
});
