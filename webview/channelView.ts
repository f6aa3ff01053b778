// The channel view: the object's facts (its kind's columns, with their titles and units, and why
// a value is missing), its holders, the depth chart, and its contents (the peek; shared memory
// is paged by offset). What the kind allows comes from its descriptor (core/kinds).
import { bytesFromBase64, type ChannelView } from '../src/webviews/inspector/protocol';
import { channelFacts } from '../src/core/columns';
import { kindOf } from '../src/core/kinds';
import { mapText, shownChannel } from '../src/core/format';
import { button, factsRows, h, patchChildren, setText, textfield, visible, type Child } from './dom';
import { renderChart } from './chart';
import { chanSection, descEl, procSection, titleEl } from './page';
import { peekOut, receivedOut } from './peekView';
import { HEX_VIEW_BYTES } from './hexView';
import { page, post, save } from './state';
import { peerLink, pidLink } from './links';

export const chanFacts = h('table', { class: 'facts', id: 'channel-facts' });
export const holdersEl = h('div', { id: 'holders' });
const chartEl = h('div', { id: 'chart' });
const peekBar = h('div', { class: 'row', id: 'peek-bar' });
const noPeekEl = h('p', { class: 'muted', id: 'no-peek', hidden: '' });
/** What a peek would change (a SysV segment nothing maps: shmat): said, and no peek until asked. */
const peekAltersEl = h('p', { class: 'notice warning', id: 'peek-alters', hidden: '' });
/** Shown instead of re-peeking when the object changed after a peek (re-peek is opt-in). */
export const newDataBar = h('div', { class: 'notice info row', id: 'new-data', role: 'status', hidden: '' },
  h('span', {}, 'New data \u2014 the object changed since this peek.'),
  button('Peek again', () => requestPeek(), { icon: 'refresh', secondary: true, id: 'peek-again', title: 'Read the data again (without consuming it)' }));
const autoPeekBox = h('vscode-checkbox', { label: 'Peek again when the object changes', id: 'auto-peek' }) as HTMLElement & { checked: boolean };
autoPeekBox.checked = page.state.autoPeek;
autoPeekBox.addEventListener('change', () => {
  page.state.autoPeek = autoPeekBox.checked;
  save();
});
export const peekButton = button('Peek', () => requestPeek(), { icon: 'eye', id: 'peek-button', title: 'Read the data without consuming it' });
export const offsetField = textfield(String(page.state.offset), { label: 'Offset (bytes)', placeholder: 'offset', cls: 'num', id: 'offset-input' });
offsetField.addEventListener('keydown', (e: Event) => { if ((e as KeyboardEvent).key === 'Enter') goOffset(Number(offsetField.value)); });
const firstPage = button('First', () => goOffset(0), { icon: 'arrow-up', secondary: true, title: 'First page (offset 0)', id: 'offset-first' });
const previousPage = button('Previous', () => goOffset(page.state.offset - pageStep()), { icon: 'arrow-left', secondary: true, title: 'Previous page', id: 'offset-previous' });
const nextPage = button('Next', () => goOffset(page.state.offset + nextStep()), { icon: 'arrow-right', secondary: true, title: 'Next page', id: 'offset-next' });
export const offsetNav = h('span', { class: 'row', id: 'offset-nav', role: 'group', 'aria-label': 'Pages of the contents' },
  firstPage,
  previousPage,
  offsetField,
  button('Go', () => goOffset(Number(offsetField.value)), { secondary: true, title: 'Read at this offset' }),
  nextPage,
);
/** What paging this object means when it is not plain (a queue that moves as it is read, a datagram socket's first datagram): kinds pagedNote. */
const pagedNoteEl = h('p', { class: 'muted', id: 'paged-note', hidden: '' });
peekBar.append(peekButton, autoPeekBox);
chanSection.append(
  h('h2', {}, 'Object'), chanFacts,
  h('h2', {}, 'Held by'), holdersEl,
  h('h2', {}, 'Depth over time'), chartEl,
  h('h2', {}, 'Contents'), noPeekEl, peekAltersEl, peekBar, newDataBar, offsetNav, pagedNoteEl, peekOut, receivedOut,
);

/** `gone`: the object's last view, read-only (webview/main.ts renderGone): no peek and no offer of one. */
export function renderChannel(v: ChannelView, gone = false): void {
  chanSection.hidden = false;
  procSection.hidden = true;
  const c = v.channel;
  const d = kindOf(c.kind);
  setText(titleEl, v.title);
  setText(descEl, v.description);
  const rows: Array<[string, Child, string?]> = [['Id', h('span', { class: 'mono' }, c.id)], ['Kind', d.title]];
  const names = new Map<number, string>([...Object.entries(v.names ?? {}).map(([pid, comm]): [number, string] => [Number(pid), comm]), ...v.holders.map((x): [number, string] => [x.pid, x.comm])]);
  // a POSIX name that is not UTF-8 by its bytes (`q\xff`), as every surface shows it
  for (const f of channelFacts(shownChannel(c), d.columns, 100000)) {
    // A pid column links each process it names that the scan saw (one naming everywhere: comm[pid]);
    // one it did not see (exited, or holding nothing) is plain `[pid]`: the host would not open it.
    const value: Child = f.pids?.length
      ? h('span', {}, ...f.pids.flatMap((pid, i) => [i ? ', ' : '', names.has(pid) ? pidLink(pid, names.get(pid), `fact-${f.id}-${i}`) : `[${pid}]`]))
      : f.id === 'peer' && v.peer
        ? peerLink(v.peer)
        : h('span', { class: f.error ? 'muted' : 'mono' }, visible(f.text));
    rows.push([f.title, value, f.help]);
  }
  factsRows(chanFacts, rows);
  patchChildren(holdersEl, [
    v.holders.length === 0 ? h('p', { class: 'muted' }, d.unheld ?? 'No process holds it.')
      : h('table', { class: 'grid', id: 'holders-table' },
        h('thead', {}, h('tr', {}, ...['Process', 'User', 'fd / mapping', 'Mode'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...v.holders.map((x) => {
          // a row of many (a process's fds of one mode) is keyed by its process and mode, as the trees' group nodes
          const where = x.count ? `${x.mode}:${x.fd !== undefined ? 'fds' : 'maps'}` : x.fd !== undefined ? `fd${x.fd}` : `m${x.map ?? ''}`;
          return h('tr', { 'data-key': `holder:${x.pid}:${where}` },
            h('td', {}, pidLink(x.pid, x.comm, `holder-${x.pid}-${where.replace(/[^\w-]/g, '_')}`)),
            h('td', {}, x.user),
            h('td', { class: 'mono' }, x.count ? `${x.where ?? ''} (${x.count.toLocaleString('en-US')})` : x.fd !== undefined ? `fd ${x.fd}` : x.map !== undefined ? mapText(x) : ''),
            h('td', {}, x.mode));
        }),
        ...(v.moreHolders ? [h('tr', { 'data-key': 'holder:more' }, h('td', { colspan: '4', class: 'muted' },
          `\u2026 ${v.moreHolders.toLocaleString('en-US')} more endpoints: ipc-inspector snapshot --json lists every one`))] : []))),
  ]);
  const noPeek = gone
    ? `It no longer exists: there is nothing to peek.${page.lastPeek?.channelId === c.id ? ' The last peek stays below, as it was read.' : ''}`
    : v.noPeek;
  // a listener has no bytes to page through (its queue is connections)
  offsetNav.hidden = gone || !d.paged || !!d.listening?.(c);
  const pagedNote = offsetNav.hidden ? null : (d.pagedNote?.(c) ?? null);
  pagedNoteEl.hidden = pagedNote === null;
  setText(pagedNoteEl, pagedNote ?? '');
  pageButtons();
  peekBar.hidden = d.peek === null || !!noPeek;
  noPeekEl.hidden = d.peek !== null && !noPeek;
  setText(noPeekEl, noPeek ?? d.noPeek ?? '');
  peekAltersEl.hidden = gone || !v.peekAlters;
  setText(peekAltersEl, v.peekAlters ?? '');
  if (gone) newDataBar.hidden = true;
  renderChart(chartEl);
  if (!gone && d.peek !== null && !v.peekAlters && !v.noPeek && (!page.lastPeek || page.lastPeek.channelId !== c.id)) {
    if (page.pendingPeek.size === 0) requestPeek();
  }
}

/** The object changed after the last peek: re-peek when asked to, else say so with a bar. */
export function objectChanged(): void {
  const c = page.lastUpdate?.channel?.channel;
  if (!c || page.lastPeek?.channelId !== c.id || page.pendingPeek.size) return;
  if (page.state.autoPeek && !page.lastUpdate?.channel?.peekAlters && !page.lastUpdate?.channel?.noPeek) requestPeek();
  else newDataBar.hidden = false;
}

export function requestPeek(offset = page.state.offset): void {
  const c = page.lastUpdate?.channel?.channel;
  if (!c || kindOf(c.kind).peek === null) return;
  const requestId = page.nextRequest++;
  newDataBar.hidden = true;
  page.pendingPeek.clear();
  page.pendingPeek.add(requestId);
  post({ type: 'peek', requestId, channelId: c.id, offset: pagedPeek(c.kind) ? Math.max(0, offset) : 0 });
}

/** Does a peek of this kind read from an offset: bytes of a paged object, or the message position of a SysV queue? */
function pagedPeek(kind: Parameters<typeof kindOf>[0]): boolean {
  const d = kindOf(kind);
  return d.paged || d.peek === 'sysv-msg';
}

/**
 * What Next moves by: a page, or the bytes this offset's peek showed when it stopped short of the
 * page before the object's end — a read through a holder's mapping stops at that mapping's end
 * (core/actions/peek/sharedMemory.ts), and a whole page on would skip what another holder maps.
 */
function nextStep(): number {
  const p = page.lastPeek;
  if (p?.type !== 'bytes' || p.offset !== page.state.offset || !p.truncated) return pageStep();
  const shown = bytesFromBase64(p.data).length;
  return shown > 0 && shown < pageStep() ? shown : pageStep();
}

/**
 * A page as the hex view shows it: the peek's size, or the most bytes one hex view lays out when
 * that is less (64 KiB read, 32 KiB shown: a step of 64 KiB would skip what was never shown).
 */
function pageStep(): number {
  return Math.min(page.maxBytes, HEX_VIEW_BYTES);
}

/**
 * First and Previous go nowhere at offset 0; Next goes nowhere once the last peek, at this
 * offset, reached the end of what it counted (a segment's size, the bytes queued) — past the
 * hex view's end there is still a page to show. Called after each peek and each render.
 */
export function pageButtons(): void {
  const p = page.lastPeek;
  const here = p?.type === 'bytes' && p.channelId === page.lastUpdate?.channel?.channel.id && p.offset === page.state.offset && p.method !== 'none' ? p : undefined;
  const atEnd = here !== undefined && here.total !== null && here.offset + nextStep() >= here.total;
  for (const [b, off] of [[firstPage, page.state.offset === 0], [previousPage, page.state.offset === 0], [nextPage, atEnd]] as const) {
    if (off) b.setAttribute('disabled', '');
    else b.removeAttribute('disabled');
  }
}

/** Peek from `offset` on, kept in the page's state (a reload reads the same page): a SysV queue's message position. */
export function peekFrom(offset: number): void {
  page.state.offset = Math.max(0, offset);
  save();
  requestPeek(page.state.offset);
}

function goOffset(o: number): void {
  if (!Number.isSafeInteger(o) || o < 0) o = 0;
  const c = page.lastUpdate?.channel?.channel;
  const size = c && kindOf(c.kind).paged && 'size' in c && typeof c.size === 'number' ? c.size : undefined;
  if (size !== undefined && o >= size) o = Math.max(0, size - (size % 16 || 16));
  o -= o % 16;
  page.state.offset = o;
  offsetField.value = String(o);
  save();
  requestPeek(o);
}
