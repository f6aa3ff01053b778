// The inspector's "Signals received and sent" section of a process (live activity): two tables
// from the signal log — time, sender → receiver, signal, si_code, result — or, without the eBPF
// tracer, what is missing and how to enable it. Text only, through dom.ts (escaped); names come
// from other users' processes. A module of its own: main.ts appends `section` and calls render().
import type { ProcessSignalLogView, SignalLogEntryView } from '../src/webviews/inspector/protocol';
import { h as el } from './dom';

function time(ms: number): string {
  const d = new Date(ms);
  return `${d.toLocaleTimeString()}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function table(rows: SignalLogEntryView[], other: 'sender' | 'receiver', id: string): HTMLElement {
  return el(
    'table',
    { class: 'grid', id },
    el('thead', {}, el('tr', {}, ...['Time', other === 'sender' ? 'From' : 'To', 'Signal', 'si_code', 'Result'].map((t) => el('th', { scope: 'col' }, t)))),
    el(
      'tbody',
      {},
      ...rows.map((r) =>
        el(
          'tr',
          { 'data-seq': String(r.seq) },
          el('td', { class: 'mono' }, time(r.timeMs)),
          el('td', {}, other === 'sender' ? r.sender : r.receiver),
          el('td', { class: 'mono' }, r.signal),
          el('td', { class: 'mono', title: r.via }, `${r.code}${r.value !== undefined ? ` (value ${r.value})` : ''}`),
          el('td', { class: r.result === 'delivered' ? '' : 'muted' }, r.result),
        ),
      ),
    ),
  );
}

export interface SignalLogSection {
  readonly section: HTMLElement;
  render(view: ProcessSignalLogView | undefined): void;
  /** What it shows, as text lines (the extension tests read the panel through these). */
  texts(): string[];
}

export function createSignalLogSection(): SignalLogSection {
  const body = el('div', { id: 'signal-log' });
  const section = el('div', {}, el('h2', {}, 'Signals received and sent'), body);
  let last: ProcessSignalLogView | undefined;
  return {
    section,
    render(view) {
      last = view;
      section.hidden = !view;
      if (!view) return;
      const parts: HTMLElement[] = [];
      if (!view.available || view.received.length + view.sent.length === 0) parts.push(el('p', { class: 'muted', id: 'signal-log-note' }, view.note));
      if (view.received.length) parts.push(el('h3', {}, `Received (${view.received.length})`), table(view.received, 'sender', 'signals-received'));
      if (view.sent.length) parts.push(el('h3', {}, `Sent (${view.sent.length})`), table(view.sent, 'receiver', 'signals-sent'));
      if (view.available && view.received.length + view.sent.length === 0) parts.push(el('p', { class: 'muted' }, 'No signal to or from this process since the tracer started.'));
      body.replaceChildren(...parts);
    },
    texts() {
      if (!last) return [];
      return [
        `signalLog:${last.available ? 'available' : 'unavailable'}:${last.note}`,
        ...last.received.map((r) => `signalReceived:${r.signal}:${r.sender}:${r.code}:${r.result}`),
        ...last.sent.map((r) => `signalSent:${r.signal}:${r.receiver}:${r.code}:${r.result}`),
      ];
    },
  };
}
