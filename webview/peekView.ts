// What a peek read, by its shape: queued messages (each with its bytes), a page of bytes,
// semaphore values, a POSIX queue's attributes (with the consuming receive, confirmed by the
// host), or fresh facts (an eventfd's counter read from fdinfo).
import type { WirePeek } from '../src/webviews/inspector/protocol';
import { byteCount, formatBytes, peekRangeText, plural } from '../src/core/text';
import { kindOf } from '../src/core/kinds';
import { button, factsRows, h, visible, type Child } from './dom';
import { bytesFromBase64, dataBlock, preview } from './hexView';
import { page, post, save } from './state';
import { pidLink } from './links';

export const peekOut = h('div', { id: 'peek' });
/**
 * The messages a consuming receive took from the queue shown (POSIX mq), each with its Copy and
 * Save: beside the peek, not in it, so that the next peek leaves them; emptied when the panel moves
 * to another object (the host drops their bytes then).
 */
export const receivedOut = h('div', { id: 'received', 'aria-label': 'Messages received (removed from the queue)' });

/** `peekFrom`: peek again from another offset (a SysV queue's message pages; channelView.ts). */
export function renderPeek(p: WirePeek, peekFrom: (offset: number) => void): void {
  // 'none': nothing was read (a listener has no data; a socket that cannot be peeked says why in a note)
  const when = new Date(p.at).toLocaleTimeString();
  const head = h('div', { class: 'muted', id: 'peek-head' }, p.method === 'none' ? `looked at ${when}: nothing read` : `read at ${when} via ${p.method}`);
  const parts: Child[] = [head, ...p.notes.map((n) => h('div', { class: 'notice warning' }, n))];
  switch (p.type) {
    case 'messages': {
      if (p.before && p.after) {
        const same = p.before.messages === p.after.messages && p.before.bytes === p.after.bytes;
        parts.push(h('div', { class: 'counters', id: 'counters' },
          h('span', {}, `before: ${plural(p.before.messages, 'message')}, ${formatBytes(p.before.bytes)}`),
          h('span', {}, `after: ${plural(p.after.messages, 'message')}, ${formatBytes(p.after.bytes)}`),
          h('span', { class: same ? 'same' : 'changed' }, same ? 'unchanged: nothing was consumed' : 'changed meanwhile (other processes)')));
      }
      const nav = messagePages(p, peekFrom);
      if (nav) parts.push(nav);
      if (p.messages.length === 0) parts.push(h('p', { class: 'muted' }, p.first > 0 && (p.after ?? p.before)?.messages ? `No message from #${p.first} on.` : 'The queue is empty.'));
      else parts.push(...messageTable(p.channelId, p.messages));
      break;
    }
    case 'bytes': {
      const bytes = bytesFromBase64(p.data);
      if (p.method === 'none') {
        // not read: no range, no "nothing buffered" (bytes may be queued: the note says why they were not read)
        if (p.total) parts.push(h('p', { class: 'muted', id: 'peek-empty' }, `${byteCount(p.total)} queued, not read.`));
        break;
      }
      parts.push(h('div', { id: 'peek-range' }, `${peekRangeText({ length: bytes.length, offset: p.offset, total: p.total, capacity: p.capacity })}${p.via ? ` \u2014 through fd ${p.via.fd} of ` : ''}`, p.via ? pidLink(p.via.pid, page.lastUpdate?.channel?.holders.find((x) => x.pid === p.via!.pid)?.comm) : ''));
      if (bytes.length === 0) {
        parts.push(h('p', { class: 'muted', id: 'peek-empty' }, p.offset > 0 && p.total ? `Nothing from offset ${p.offset.toLocaleString('en-US')} on: ${byteCount(p.total)} ${p.total === 1 ? 'was' : 'were'} buffered.` : 'Nothing was buffered when it was read.'));
      }
      parts.push(...dataBlock(p.channelId, bytes, p.offset, undefined, undefined, kindOf(p.kind).paged));
      break;
    }
    case 'semaphores': {
      parts.push(h('table', { class: 'grid', id: 'semaphores' },
        h('thead', {}, h('tr', {}, ...['#', 'Value', 'Waiting for increase', 'Waiting for zero', 'Last pid'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...p.semaphores.map((s) => h('tr', {}, h('td', {}, String(s.index)), h('td', {}, String(s.value ?? '?')),
          h('td', {}, String(s.waitingForIncrease ?? '?')), h('td', {}, String(s.waitingForZero ?? '?')), h('td', {}, semPid(s.lastPid, s.index)))))));
      break;
    }
    case 'mq-attributes': {
      // counts and sizes as the channel's facts write them (`1 message`, `8 KiB`), not bare numbers
      const count = (n: number | null | undefined) => (n === null || n === undefined ? '?' : plural(n, 'message'));
      parts.push(h('table', { class: 'facts', id: 'mq-attributes' },
        ...([['Messages', count(p.messages)], ['Max messages', count(p.maxMessages)], ['Message size', formatBytes(p.messageSize)], ['Bytes queued', formatBytes(p.bytes)], ['Notify pid', String(p.notifyPid ?? 'none')]] as Array<[string, string]>)
          .map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))),
        h('div', { class: 'notice warning' }, p.explanation),
        h('div', { class: 'row live-only' }, button('Receive one message (consumes it)\u2026', () => {
          post({ type: 'receiveMq', requestId: page.nextRequest++, channelId: p.channelId });
        }, { icon: 'warning', secondary: true, id: 'receive-mq', title: 'Takes one message off the queue, after a confirmation' })));
      break;
    }
    case 'facts': {
      const table = h('table', { class: 'facts', id: 'peek-facts' });
      factsRows(table, p.facts.map((f) => [f.title, f.text, f.help]));
      parts.push(table);
      break;
    }
  }
  peekOut.replaceChildren(...parts.filter((x): x is HTMLElement => x instanceof HTMLElement));
}

type Messages = Extract<WirePeek, { type: 'messages' }>['messages'];

/**
 * A queue holding more messages than one peek copies (1,024), or a peek from a later message on:
 * buttons that page through it by position, as `peek --offset` does, none of which consumes.
 */
function messagePages(p: Extract<WirePeek, { type: 'messages' }>, peekMessagesFrom: (first: number) => void): HTMLElement | undefined {
  if (p.first === 0 && p.next === null) return undefined;
  const size = p.next !== null ? p.next - p.first : Math.max(p.messages.length, 1);
  return h('div', { class: 'row', id: 'message-pages', role: 'group', 'aria-label': 'Pages of queued messages' },
    button('First', () => peekMessagesFrom(0), { icon: 'arrow-up', secondary: true, id: 'messages-first', title: 'Show the queue from its first message (#0)', disabled: p.first === 0 }),
    button('Previous', () => peekMessagesFrom(Math.max(0, p.first - size)), { icon: 'arrow-left', secondary: true, id: 'messages-previous', title: 'Show the messages before these', disabled: p.first === 0 }),
    button('Next', () => p.next !== null && peekMessagesFrom(p.next), { icon: 'arrow-right', secondary: true, id: 'messages-next', title: p.next !== null ? `Show the messages from #${p.next} on` : 'No message after these', disabled: p.next === null }),
  );
}

/**
 * Queued messages as one compact table (#, type, size, a text preview), a row selected with the
 * mouse or the keyboard (arrows, Enter); one toolbar (Copy hex, Copy text, Save…) and the hex and
 * text of the selected message only — 33 messages make a short page, not 6,400 px (issue 11).
 */
function messageTable(channelId: string, messages: Messages): HTMLElement[] {
  const decoded = messages.map((m) => bytesFromBase64(m.data));
  if (page.selectedMessage === undefined || !messages.some((m) => m.index === page.selectedMessage)) page.selectedMessage = messages[0]?.index;
  const detail = h('div', { id: 'message-detail' });
  const rows: HTMLElement[] = [];
  const select = (i: number, focus: boolean) => {
    const m = messages[i];
    if (!m) return;
    page.selectedMessage = m.index;
    if (page.state.selected !== m.index) {
      page.state.selected = m.index;
      save();
    }
    rows.forEach((r, j) => {
      r.setAttribute('aria-selected', String(j === i));
      r.setAttribute('tabindex', j === i ? '0' : '-1');
    });
    if (focus) rows[i].focus();
    const bytes = decoded[i];
    detail.replaceChildren(
      h('div', { class: 'muted' }, `Message #${m.index}: type ${m.type}, ${byteCount(m.size)}${m.truncated ? `; the first ${byteCount(bytes.length)} read` : ''}`),
      ...dataBlock(channelId, bytes, 0, m.index),
    );
  };
  messages.forEach((m, i) => {
    const row = h('tr', { 'data-index': String(m.index), role: 'row', tabindex: '-1', 'aria-selected': 'false', class: 'message-row' },
      h('td', {}, `#${m.index}`),
      h('td', {}, String(m.type)),
      h('td', {}, formatBytes(m.size) + (m.truncated ? ' \u2026' : '')),
      h('td', { class: 'mono preview' }, visible(preview(decoded[i], 60))));
    row.addEventListener('click', () => select(i, true));
    row.addEventListener('keydown', (e: KeyboardEvent) => {
      const k = e.key;
      if (k === 'ArrowDown' || k === 'ArrowUp') {
        e.preventDefault();
        select(Math.max(0, Math.min(messages.length - 1, i + (k === 'ArrowDown' ? 1 : -1))), true);
      } else if (k === 'Home' || k === 'End') {
        e.preventDefault();
        select(k === 'Home' ? 0 : messages.length - 1, true);
      }
    });
    rows.push(row);
  });
  const table = h('table', { class: 'grid messages', id: 'messages', role: 'grid', 'aria-label': 'Queued messages: arrows select one, its bytes show below' },
    h('thead', {}, h('tr', {}, ...['#', 'Type', 'Size', 'Text'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...rows));
  select(Math.max(0, messages.findIndex((m) => m.index === page.selectedMessage)), false);
  return [table, detail];
}

/** A semaphore's last pid: a comm[pid] link when the panel knows (and may open) that process, `none` for 0. */
function semPid(pid: number | null | undefined, index: number): Child {
  if (pid === null || pid === undefined) return '?';
  if (pid === 0) return 'none';
  const comm = page.lastUpdate?.channel?.names?.[pid];
  return comm !== undefined ? pidLink(pid, comm, `sem-pid-${index}`) : `[${pid}]`;
}
