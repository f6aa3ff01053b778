// Peeked bytes as a hex view (offset, bytes, text) and, when they decode, as text or JSON; the
// copy / save buttons ask the host (which holds the bytes).
import { bytesFromBase64 } from '../src/webviews/inspector/protocol';
import { plural } from '../src/core/text';
import { button, h, visibleLines } from './dom';
import { post } from './state';

/** The most bytes one hex view lays out (2,048 rows): a page of shared memory pages on by this much (channelView.ts). */
export const HEX_VIEW_BYTES = 2048 * 16;

/**
 * `more`: what to do about bytes past `limit` (a paged object's Next shows them). Offsets are hex,
 * as xxd and `hexdump -C` print them (the CLI's peek too: cli/common.ts hexdump); a count in the
 * prose beside them is written as every view writes one (core/text.ts: `32,768 more bytes`).
 */
export function hexView(bytes: Uint8Array, base: number, limit = HEX_VIEW_BYTES, more = 'save to a file to see all'): HTMLElement {
  const grid = h('div', { class: 'hex', role: 'table', 'aria-label': 'Hex view: offset, bytes, text', tabindex: '0' });
  const n = Math.min(bytes.length, limit);
  for (let i = 0; i < n; i += 16) {
    const row = bytes.subarray(i, Math.min(i + 16, n));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    grid.append(h('span', { class: 'off' }, (base + i).toString(16).padStart(8, '0')), h('span', {}, hex.padEnd(47)), h('span', {}, text));
  }
  if (bytes.length > n) grid.append(h('span', { class: 'off' }, '\u2026'), h('span', {}, `${plural(bytes.length - n, 'more byte')} not shown (${more})`), h('span', {}));
  return grid;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');

interface Decoded { kind: 'empty' | 'json' | 'utf8' | 'binary'; text: string }
function decode(bytes: Uint8Array): Decoded {
  if (bytes.length === 0) return { kind: 'empty', text: '' };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { kind: 'binary', text: utf8Lossy.decode(bytes) }; // not UTF-8: shown as hex only
  }
  const printable = [...text].filter((ch) => ch >= ' ' || ch === '\n' || ch === '\t' || ch === '\r').length / Math.max(1, [...text].length);
  const t = text.trim();
  if ((t.startsWith('{') || t.startsWith('[')) && t.length < 4 * 1024 * 1024) {
    try {
      return { kind: 'json', text: JSON.stringify(JSON.parse(t), null, 2) };
    } catch {
      /* not JSON: shown as text below */
    }
  }
  return { kind: printable > 0.9 ? 'utf8' : 'binary', text };
}

/** A one-line text preview of some bytes (control characters shown by the caller's visible()). */
export function preview(bytes: Uint8Array, max: number): string {
  const text = utf8Lossy.decode(bytes.subarray(0, max * 4)).replace(/\s+/g, ' ');
  const chars = [...text];
  return chars.length > max ? chars.slice(0, max).join('') + '\u2026' : chars.join('');
}

/** One toolbar for the shown bytes: Copy hex, Copy text, Save…, disabled when there is nothing to copy. */
export function dataToolbar(channelId: string, bytes: Uint8Array, label: string, index?: number, textOk = true, received?: number): HTMLElement {
  const none = bytes.length === 0;
  // a received message's bytes are named by its receive (the host keeps them), not by the last peek
  const which = received !== undefined ? { received } : { index };
  // one toolbar per peek; a received message's own ids beside it (a page never repeats an id)
  const id = (name: string) => (received !== undefined ? `received-${received}-${name}` : name);
  return h('div', { class: 'row toolbar', role: 'toolbar', 'aria-label': 'The shown bytes' },
    h('span', { class: 'badge' }, label),
    button('Copy hex', () => post({ type: 'copy', channelId, format: 'hex', ...which }), { secondary: true, icon: 'copy', title: 'Copy as hex', disabled: none, id: id('copy-hex') }),
    button('Copy text', () => post({ type: 'copy', channelId, format: 'text', ...which }), { secondary: true, icon: 'copy', title: 'Copy as text', disabled: none || !textOk, id: id('copy-text') }),
    button('Save\u2026', () => post({ type: 'save', channelId, ...which }), { secondary: true, icon: 'save', title: 'Save the bytes to a file', disabled: none, id: id('save-bytes') }),
  );
}

/** The bytes of one message or page: a badge saying what they look like, one toolbar (copy/save), text, hex. */
/**
 * `received`: the bytes of a consuming receive (its request id), which Copy and Save name instead of the last peek;
 * `paged`: a page of a paged object, whose Next shows the bytes past the hex view's end.
 */
export function dataBlock(channelId: string, bytes: Uint8Array, base: number, index?: number, received?: number, paged = false): HTMLElement[] {
  const d = decode(bytes);
  const label = d.kind === 'json' ? 'JSON' : d.kind === 'utf8' ? 'UTF-8 text' : d.kind === 'empty' ? 'empty' : 'binary';
  const out: HTMLElement[] = [dataToolbar(channelId, bytes, label, index, true, received)];
  if (d.kind === 'json' || d.kind === 'utf8') out.push(h('pre', { class: 'text', 'data-role': 'text' }, visibleLines(d.text)));
  if (bytes.length) out.push(hexView(bytes, base, HEX_VIEW_BYTES, paged ? 'Next shows them; Save\u2026 writes the whole page' : undefined));
  return out;
}

export { bytesFromBase64 };
