// The process view: facts, the send-a-signal form (the host asks for confirmations), the signal
// table (one column per signal set: core/signalSets.ts) and the channels it holds.
import type { ProcessView, SignalRow } from '../src/webviews/inspector/protocol';
import { signalName, signalNumber } from '../src/core/signals';
import { SIGNAL_SETS } from '../src/core/signalSets';
import { cmdlineCut, processLabel, userText } from '../src/core/format';
import { button, factsRows, h, linkButton, patchChildren, setText, textfield, visible } from './dom';
import { pidLink } from './links';
import { createSignalLogSection } from './signalLog';
import { chanSection, descEl, procSection, titleEl } from './page';
import { page, post, rerender, save } from './state';

export const procFacts = h('table', { class: 'facts' });
const signalField = textfield(page.state.signal, { label: 'Signal name or number', placeholder: 'SIGTERM, 15, SIGRTMIN+3', cls: 'sig', id: 'signal-input' });
const valueField = textfield(page.state.value, { label: 'Integer value (sigqueue)', placeholder: 'value (optional)', cls: 'num', id: 'signal-value' });
const signalHint = h('div', { class: 'muted', id: 'signal-hint' });
export const signalResult = h('div', { id: 'signal-result' });
export const sendButton = button('Send', () => sendSignalFromForm(), { icon: 'zap', id: 'send-signal', title: 'Send the signal (the host asks for confirmation when needed)' });
const filterBox = h('vscode-checkbox', { label: 'Hide real-time signals this process does not handle', id: 'signal-filter' }) as HTMLElement & { checked: boolean };
filterBox.checked = page.state.filter === 'interesting';
filterBox.addEventListener('change', () => {
  page.state.filter = filterBox.checked ? 'interesting' : 'all';
  save();
  rerender();
});
export const signalTable = h('table', { class: 'grid', id: 'signal-table' });
export const procChannels = h('div', { id: 'process-channels' });
signalField.addEventListener('input', () => {
  page.state.signal = signalField.value;
  save();
  updateSignalHint();
});
valueField.addEventListener('input', () => {
  page.state.value = valueField.value;
  save();
});
for (const f of [signalField, valueField]) f.addEventListener('keydown', (e: Event) => { if ((e as KeyboardEvent).key === 'Enter') sendSignalFromForm(); });
procSection.append(
  h('h2', {}, 'Process'), procFacts,
  h('h2', { class: 'live-only' }, 'Send a signal'),
  h('div', { class: 'row live-only' }, signalField, valueField, sendButton),
  h('div', { class: 'live-only' }, signalHint, signalResult),
  h('h2', {}, 'Signals'),
  h('p', { class: 'desc' }, 'Every signal with this process\u2019s disposition (from /proc/PID/status and its signalfds) and the kernel\u2019s default action. SIGKILL and SIGSTOP can be neither caught, blocked nor ignored.'),
  h('div', { class: 'row' }, filterBox),
  h('div', { class: 'scroll-x' }, signalTable),
  h('h2', {}, 'Channels held'), procChannels,
);
/** Live activity: the signals it received and sent (webview/signalLog.ts). */
export const signalLog = createSignalLogSection();
procSection.append(signalLog.section);

/** Test driver: fill the form and press Send. */
/** What the send form holds (`SIGNAL|VALUE`), for the tests' report. */
export function signalFormText(): string {
  return `${signalField.value}|${valueField.value}`;
}

/** Test driver: type a signal into the send field (its hint follows), without sending. */
export function typeSignal(signal: string): void {
  signalField.value = signal;
  signalField.dispatchEvent(new Event('input'));
}

/** What the hint under the send field says, for the tests' report. */
export function signalHintText(): string {
  return signalHint.textContent ?? '';
}

export function driveSignal(signal: string, value: string): void {
  signalField.value = signal;
  valueField.value = value;
  sendButton.click();
}

/** `3 h 2 min ago`, `5 s ago`. */
function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return `${d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`} ago`;
}

/** The process (`pid:startTime`) the send form was last shown for: a signal typed for one is never left in the form of another. */
let formFor: string | undefined;

export function renderProcess(p: ProcessView): void {
  const shown = `${p.pid}:${p.startTime}`;
  if (formFor !== undefined && formFor !== shown) {
    signalField.value = valueField.value = page.state.signal = page.state.value = '';
    setText(signalResult, '');
    setText(signalHint, '');
    save();
  }
  formFor = shown;
  procSection.hidden = false;
  chanSection.hidden = true;
  setText(titleEl, processLabel(p.pid, { comm: p.comm, threadOf: p.threadOf } as Parameters<typeof processLabel>[1]));
  setText(
    descEl,
    p.vscodeLabel
      ? `This is ${p.vscodeLabel}: signalling it can break this editor session.`
      : p.threadOf !== undefined
        ? 'A thread with an fd table of its own: /proc/PID/fd of its process does not list the channels it holds. A signal goes to this thread; a fatal one ends the whole process.'
        : 'A process: its signal dispositions, and the channels it holds.',
  );
  factsRows(procFacts, [
    ['PID', p.nsPid ? `${p.pid} (${p.nsPid[p.nsPid.length - 1]} inside its pid namespace)` : String(p.pid)],
    ['Started by', p.provenance],
    ['Container', p.container],
    ['Network namespace', p.netns],
    ['PID namespace', p.pidns],
    ['Mount namespace', p.mntns],
    ['Thread of', p.threadOf === undefined ? undefined : p.threadOfComm !== undefined ? pidLink(p.threadOf, p.threadOfComm, 'thread-of-link') : `[${p.threadOf}]`],
    ['Parent', p.parentComm !== undefined ? pidLink(p.ppid, p.parentComm, 'parent-link') : p.ppid > 0 ? `[${p.ppid}]` : 'none'],
    ['Command line', commandLine(p.cmdline, cmdlineCut(p))],
    ['User', userText(p)],
    ['State', p.state],
    ['Threads', String(p.threads)],
    ['Start time', `${p.startedAt ? `${new Date(p.startedAt).toLocaleString()} (${ago(p.startedAt)}) \u2014 ` : ''}${p.startTime} ticks after boot (signals are bound to it)`],
    ['Traced by', p.tracerComm !== undefined ? pidLink(p.tracerPid, p.tracerComm, 'tracer-link') : p.tracerPid ? `[${p.tracerPid}]` : 'not traced'],
    // digits grouped as every other count of the panel (`0 of 96,367`), the limit said for what it is
    ['Queued signals', p.queued !== null ? `${p.queued.toLocaleString('en-US')} of ${p.queueLimit?.toLocaleString('en-US') ?? '?'} (the per-user limit)` : undefined],
    ...(p.errors ?? []).map((e): [string, string] => [`${e.field}`, `${e.code === 'EFBIG' ? "cut at the scan's bounds" : 'unknown'} (${e.code} from ${e.syscall})`]),
  ]);
  const rows = p.signals.filter((s) => page.state.filter === 'all' || s.sets.length > 0 || !s.realtime);
  const mark = (on: boolean, key: string, label: string) => h('td', { class: `flag ${on ? `yes ${key}` : 'muted'}`, 'aria-label': `${label}: ${on ? 'yes' : 'no'}` }, on ? label : '\u2013');
  patchChildren(signalTable, [
    h('thead', {}, h('tr', {}, ...['#', 'Signal', ...SIGNAL_SETS.map((s) => s.title), 'Default action', 'Meaning', ''].map((t) => h('th', { scope: 'col', ...(t ? {} : { class: 'live-only' }) }, t)))),
    h('tbody', {}, ...rows.map((s) => h('tr', { 'data-key': `sig:${s.number}` },
      h('td', {}, String(s.number)),
      h('td', { class: 'mono' }, s.name),
      ...SIGNAL_SETS.map((set) => mark(s.sets.includes(set.key), set.key, set.title.toLowerCase())),
      h('td', {}, s.action),
      h('td', { class: 'muted' }, s.description),
      h('td', { class: 'live-only' }, linkButton('Select', () => selectSignal(s), `Put ${s.name} in the send field`, `select-${s.name}`)),
    ))),
  ]);
  patchChildren(procChannels, [
    p.channels.length === 0 ? h('p', { class: 'muted' }, 'No IPC channels.')
      : h('table', { class: 'grid', id: 'process-channels-table' },
        h('thead', {}, h('tr', {}, ...['Channel', 'fd', 'Mode'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...p.channels.map((c) => h('tr', { 'data-key': `ch:${c.id}:${c.mode}:${c.fds !== undefined ? 'fds' : (c.fd ?? 'map')}` },
          h('td', {}, linkButton(c.title, () => post({ type: 'inspect', channelId: c.id }), `Inspect ${c.id}`)),
          h('td', {}, c.fds ?? (c.fd !== undefined ? String(c.fd) : 'map')),
          h('td', {}, c.mode))),
        ...(p.moreChannels ? [h('tr', { 'data-key': 'ch:more' }, h('td', { colspan: '3', class: 'muted' },
          `\u2026 ${p.moreChannels.toLocaleString('en-US')} more: ipc-inspector snapshot --pid ${p.pid} lists every one`))] : []))),
  ]);
  updateSignalHint();
}

function selectSignal(s: SignalRow): void {
  signalField.value = s.name;
  page.state.signal = s.name;
  save();
  updateSignalHint();
  signalField.focus();
}

function updateSignalHint(): void {
  const p = page.lastUpdate?.process;
  const n = signalNumber(signalField.value || '');
  if (n === undefined) {
    setText(signalHint, signalField.value ? `Unknown signal: ${signalField.value}` : '');
    return;
  }
  const row = p?.signals.find((s) => s.number === n);
  const parts = [`${signalName(n)} (${n})`];
  if (row) {
    const handledBy = SIGNAL_SETS.find((set) => set.handled && set.key !== 'caught' && row.sets.includes(set.key));
    if (row.droppedByInit === 'nested') parts.push('PID 1 of its own pid namespace (a container\u2019s init), which does not handle it: the kernel drops it when it comes from outside \u2014 it will have no effect; only SIGKILL or SIGSTOP reach it');
    else if (row.droppedByInit === 'own') parts.push('the init process of this pid namespace, which does not handle it: the kernel drops it \u2014 it will have no effect');
    else if (row.sets.includes('ignored')) parts.push('ignored by this process \u2014 it will have no effect');
    else if (row.sets.includes('blocked') && handledBy) parts.push(`blocked, and handled: ${handledBy.title.toLowerCase()} (${handledBy.help})`);
    else if (row.sets.includes('blocked')) parts.push('blocked by this process \u2014 it stays pending');
    else if (row.sets.includes('caught')) parts.push('caught by a handler');
    else parts.push(`default action: ${row.action}`);
    if (row.realtime) parts.push('real-time: queued, can carry an integer value');
  }
  setText(signalHint, parts.join(' \u00b7 '));
}

function sendSignalFromForm(): void {
  const p = page.lastUpdate?.process;
  if (!p) return;
  const n = signalNumber(signalField.value || '');
  if (n === undefined) {
    signalResult.replaceChildren(h('div', { class: 'notice error' }, `Unknown signal: ${signalField.value}`));
    return;
  }
  let value: number | undefined;
  const vt = valueField.value.trim();
  if (vt !== '') {
    if (!/^-?\d+$/.test(vt) || Number(vt) < -2147483648 || Number(vt) > 2147483647) {
      signalResult.replaceChildren(h('div', { class: 'notice error' }, 'The value must be a 32-bit integer.'));
      return;
    }
    value = Number(vt);
  }
  const requestId = page.nextRequest++;
  page.pendingSignal.add(requestId);
  signalResult.replaceChildren(h('div', { class: 'notice' }, `Sending ${signalName(n)}\u2026`));
  post({ type: 'sendSignal', requestId, pid: p.pid, startTime: p.startTime, signal: n, value });
}

/** The command line without setproctitle's NUL padding; one of NULs only (a wiped argv) says so rather than show spaces. */
/** `cut`: the scan kept only its first bytes (another user chooses how long it is). */
function commandLine(args: readonly string[], cut: boolean): HTMLElement | string {
  let n = args.length;
  while (n > 0 && args[n - 1] === '') n--;
  if (n > 0) return h('span', { class: 'mono' }, visible(args.slice(0, n).join(' ')) + (cut ? ' … (cut: only its first bytes were read)' : ''));
  return args.length ? '(wiped: only NUL bytes)' : '(none: kernel thread or zombie)';
}
