// The inspector's text view of peeked bytes (webview/dom.ts visibleLinesText): lines and tabs kept,
// every other control character as its picture, and CRLF — how HTTP, SMTP and Redis end a line —
// a plain line end, as less shows it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { visibleLinesText } from '../../webview/dom';

test('a CRLF line end reads as a line end; a lone CR, ESC and NUL as their pictures', () => {
  assert.equal(visibleLinesText('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'GET / HTTP/1.1\nHost: x\n\n');
  // a progress bar's rewrites: no line end follows, so each CR is seen
  assert.equal(visibleLinesText('10%\r50%\r100%\n'), '10%\u240d50%\u240d100%\n');
  assert.equal(visibleLinesText('a\r\r\nb'), 'a\u240d\nb', 'only the CR right before the newline ends the line');
  assert.equal(visibleLinesText('\x1b[31mred\x00\tend'), '\u241b[31mred\u2400\tend');
  // bidi and invisible characters escaped as everywhere
  assert.equal(visibleLinesText('ngin\u200bx \u202e'), 'ngin\\u200bx \\u202e');
});
