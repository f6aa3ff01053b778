// What a peek read, by its shape: queued messages (each with its bytes), a page of bytes,
// semaphore values, a POSIX queue's attributes (with the consuming receive, confirmed by the
// host), or fresh facts (an eventfd's counter read from fdinfo).
import type { WirePeek } from '../src/webviews/inspector/protocol';
import { formatBytes } from '../src/core/text';
import { button, factsRows, h, type Child } from './dom';
import { bytesFromBase64, dataBlock } from './hexView';
import { page, post } from './state';

export const peekOut = h('div', { id: 'peek' });

export function renderPeek(p: WirePeek): void {
  const head = h('div', { class: 'muted' }, `read at ${new Date(p.at).toLocaleTimeString()} via ${p.method}`);
  const parts: Child[] = [head, ...p.notes.map((n) => h('div', { class: 'notice warning' }, n))];
  switch (p.type) {
    case 'messages': {
      if (p.before && p.after) {
        const same = p.before.messages === p.after.messages && p.before.bytes === p.after.bytes;
        parts.push(h('div', { class: 'counters', id: 'counters' },
          h('span', {}, `before: ${p.before.messages} messages, ${formatBytes(p.before.bytes)}`),
          h('span', {}, `after: ${p.after.messages} messages, ${formatBytes(p.after.bytes)}`),
          h('span', { class: same ? 'same' : 'changed' }, same ? 'unchanged: nothing was consumed' : 'changed meanwhile (other processes)')));
      }
      if (p.messages.length === 0) parts.push(h('p', { class: 'muted' }, 'The queue is empty.'));
      for (const m of p.messages) {
        const bytes = bytesFromBase64(m.data);
        parts.push(h('article', { class: 'message', 'data-index': String(m.index) },
          h('header', {}, h('strong', {}, `#${m.index}`), h('span', {}, `type ${m.type}`), h('span', {}, `${m.size} bytes`), m.truncated ? h('span', { class: 'badge' }, `first ${bytes.length} bytes`) : null),
          ...dataBlock(p.channelId, bytes, 0, m.index)));
      }
      break;
    }
    case 'bytes': {
      const bytes = bytesFromBase64(p.data);
      parts.push(h('div', {}, `${bytes.length} bytes at offset ${p.offset}${p.total !== null ? ` of ${p.total}` : ''}${p.capacity ? ` (capacity ${formatBytes(p.capacity)})` : ''}${p.via ? ` \u2014 through fd ${p.via.fd} of process ${p.via.pid}` : ''}`));
      if (bytes.length === 0) parts.push(h('p', { class: 'muted' }, 'Nothing buffered right now.'));
      parts.push(...dataBlock(p.channelId, bytes, p.offset));
      break;
    }
    case 'semaphores': {
      parts.push(h('table', { class: 'grid', id: 'semaphores' },
        h('thead', {}, h('tr', {}, ...['#', 'Value', 'Waiting for increase', 'Waiting for zero', 'Last pid'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...p.semaphores.map((s) => h('tr', {}, h('td', {}, String(s.index)), h('td', {}, String(s.value ?? '?')),
          h('td', {}, String(s.waitingForIncrease ?? '?')), h('td', {}, String(s.waitingForZero ?? '?')), h('td', {}, String(s.lastPid ?? '?')))))));
      break;
    }
    case 'mq-attributes': {
      parts.push(h('table', { class: 'facts' },
        ...([['Messages', p.messages], ['Max messages', p.maxMessages], ['Message size', p.messageSize], ['Bytes queued', p.bytes], ['Notify pid', p.notifyPid ?? 'none']] as Array<[string, unknown]>)
          .map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, String(v ?? '?'))))),
        h('div', { class: 'notice warning' }, p.explanation),
        h('div', { class: 'row' }, button('Receive one message (consumes it)\u2026', () => {
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
