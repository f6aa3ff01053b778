// The inspector panel UI (runs in the webview, bundled for the browser). Everything a process
// controls (names, paths, command lines, queue bytes) is inserted with textContent or as SVG
// attributes built with DOM APIs — never as HTML. The host does every action and every
// confirmation; the webview only asks, through the typed protocol.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import css from './styles.css';
import {
  bytesFromBase64, isHostMessage,
  type ChannelView, type DepthSample, type HostMessage, type InspectTarget, type ProcessView,
  type SignalRow, type UpdateMessage, type WebviewMessage, type WirePeek,
} from '../src/webviews/inspector/protocol';
import { signalNumber, signalName } from '../src/core/signals';
import { createSignalLogSection } from './signalLog';

interface VsCodeApi {
  postMessage(m: WebviewMessage): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();

// ----------------------------------------------------------------------------------------------
// State (survives hide/show through setState; restored after a reload by the serializer)
// ----------------------------------------------------------------------------------------------

interface State {
  target: InspectTarget;
  history: DepthSample[];
  offset: number;
  autoPeek: boolean;
  signal: string;
  value: string;
  filter: 'all' | 'interesting';
}
const HISTORY_MAX = 300;

function loadState(): State {
  const s = vscode.getState() as Partial<State> | undefined;
  return {
    target: s?.target && typeof s.target === 'object' ? s.target : {},
    history: Array.isArray(s?.history) ? s.history.slice(-HISTORY_MAX) : [],
    offset: typeof s?.offset === 'number' && s.offset >= 0 ? s.offset : 0,
    autoPeek: s?.autoPeek !== false,
    signal: typeof s?.signal === 'string' ? s.signal : 'SIGTERM',
    value: typeof s?.value === 'string' ? s.value : '',
    filter: s?.filter === 'all' ? 'all' : 'interesting',
  };
}
let state = loadState();
const save = () => vscode.setState(state);

let testMode = false;
let maxBytes = 65536;
let lastUpdate: UpdateMessage | undefined;
let lastPeek: WirePeek | undefined;
let nextRequest = 1;
const pendingPeek = new Set<number>();
const pendingSignal = new Set<number>();
let lastDepthKey = '';

// ----------------------------------------------------------------------------------------------
// DOM helpers: text only
// ----------------------------------------------------------------------------------------------

type Child = Node | string | number | null | undefined | false;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string | undefined>, ...children: Child[]): HTMLElementTagNameMap[K];
function h(tag: string, attrs?: Record<string, string | undefined>, ...children: Child[]): HTMLElement;
function h(tag: string, attrs: Record<string, string | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (/^on/i.test(k) || k === 'style' || k === 'srcdoc') throw new Error(`refusing attribute ${k}`);
    if (v !== undefined) el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

function button(label: string, onClick: () => void, opts: { icon?: string; secondary?: boolean; title?: string; id?: string } = {}): HTMLElement {
  const b = h('vscode-button', { icon: opts.icon, title: opts.title, id: opts.id, 'aria-label': opts.title ?? label });
  if (opts.secondary) b.setAttribute('secondary', '');
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

function textfield(value: string, opts: { label: string; placeholder?: string; cls?: string; id?: string }): HTMLElement & { value: string } {
  const f = h('vscode-textfield', { 'aria-label': opts.label, placeholder: opts.placeholder, class: opts.cls, id: opts.id }) as HTMLElement & { value: string };
  f.value = value;
  return f;
}

/** Control characters shown as visible symbols (text views never contain raw control bytes). */
function visible(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => (c === '\x7f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0))));
}

function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '?';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function post(m: WebviewMessage): void {
  vscode.postMessage(m);
}

// ----------------------------------------------------------------------------------------------
// Layout: built once; data parts are replaced on updates so inputs keep their focus and text.
// ----------------------------------------------------------------------------------------------

const sheet = new CSSStyleSheet();
sheet.replaceSync(css);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

const app = document.getElementById('app') ?? document.body.appendChild(h('main'));
const titleEl = h('h1', { id: 'title' }, 'IPC Inspector');
const descEl = h('p', { class: 'desc', id: 'description' });
const statusEl = h('div', { class: 'status', role: 'status' });
const noticeEl = h('div', { id: 'notices', 'aria-live': 'polite' });
const procSection = h('section', { id: 'process', hidden: '' });
const chanSection = h('section', { id: 'channel', hidden: '' });
app.replaceChildren(titleEl, descEl, statusEl, noticeEl, procSection, chanSection);

function notice(level: 'info' | 'warning' | 'error' | 'ok', text: string): void {
  const n = h('div', { class: `notice ${level}`, role: level === 'error' ? 'alert' : 'status' }, text);
  noticeEl.prepend(n);
  while (noticeEl.childElementCount > 4) noticeEl.lastElementChild?.remove();
}

// --- process section -------------------------------------------------------------------------

const procFacts = h('table', { class: 'facts' });
const signalField = textfield(state.signal, { label: 'Signal name or number', placeholder: 'SIGTERM, 15, SIGRTMIN+3', cls: 'sig', id: 'signal-input' });
const valueField = textfield(state.value, { label: 'Integer value (sigqueue)', placeholder: 'value (optional)', cls: 'num', id: 'signal-value' });
const signalHint = h('div', { class: 'muted', id: 'signal-hint' });
const signalResult = h('div', { id: 'signal-result' });
const sendButton = button('Send', () => sendSignalFromForm(), { icon: 'zap', id: 'send-signal', title: 'Send the signal (the host asks for confirmation when needed)' });
const filterBox = h('vscode-checkbox', { label: 'Hide real-time signals this process does not handle', id: 'signal-filter' }) as HTMLElement & { checked: boolean };
filterBox.checked = state.filter === 'interesting';
filterBox.addEventListener('change', () => {
  state.filter = filterBox.checked ? 'interesting' : 'all';
  save();
  render();
});
const signalTable = h('table', { class: 'grid', id: 'signal-table' });
const procChannels = h('div', { id: 'process-channels' });
signalField.addEventListener('input', () => {
  state.signal = signalField.value;
  save();
  updateSignalHint();
});
valueField.addEventListener('input', () => {
  state.value = valueField.value;
  save();
});
for (const f of [signalField, valueField]) f.addEventListener('keydown', (e: Event) => { if ((e as KeyboardEvent).key === 'Enter') sendSignalFromForm(); });
procSection.append(
  h('h2', {}, 'Process'), procFacts,
  h('h2', {}, 'Send a signal'),
  h('div', { class: 'row' }, signalField, valueField, sendButton),
  signalHint, signalResult,
  h('h2', {}, 'Signals'),
  h('p', { class: 'desc' }, 'Every signal with this process\u2019s disposition (from /proc/PID/status) and the kernel\u2019s default action. SIGKILL and SIGSTOP can be neither caught, blocked nor ignored.'),
  h('div', { class: 'row' }, filterBox),
  signalTable,
  h('h2', {}, 'Channels held'), procChannels,
);
const signalLog = createSignalLogSection(); // live activity (webview/signalLog.ts)
procSection.append(signalLog.section);

// --- channel section -------------------------------------------------------------------------

const chanFacts = h('table', { class: 'facts', id: 'channel-facts' });
const holdersEl = h('div', { id: 'holders' });
const chartEl = h('div', { id: 'chart' });
const peekBar = h('div', { class: 'row', id: 'peek-bar' });
const peekOut = h('div', { id: 'peek' });
const autoPeekBox = h('vscode-checkbox', { label: 'Peek again when the object changes', id: 'auto-peek' }) as HTMLElement & { checked: boolean };
autoPeekBox.checked = state.autoPeek;
autoPeekBox.addEventListener('change', () => {
  state.autoPeek = autoPeekBox.checked;
  save();
});
const peekButton = button('Peek', () => requestPeek(), { icon: 'eye', id: 'peek-button', title: 'Read the data without consuming it' });
const offsetField = textfield(String(state.offset), { label: 'Offset (bytes)', placeholder: 'offset', cls: 'num', id: 'offset-input' });
offsetField.addEventListener('keydown', (e: Event) => { if ((e as KeyboardEvent).key === 'Enter') goOffset(Number(offsetField.value)); });
const offsetNav = h('span', { class: 'row' },
  button('Previous', () => goOffset(state.offset - maxBytes), { icon: 'arrow-left', secondary: true, title: 'Previous page' }),
  offsetField,
  button('Go', () => goOffset(Number(offsetField.value)), { secondary: true, title: 'Read at this offset' }),
  button('Next', () => goOffset(state.offset + maxBytes), { icon: 'arrow-right', secondary: true, title: 'Next page' }),
);
peekBar.append(peekButton, autoPeekBox);
chanSection.append(
  h('h2', {}, 'Object'), chanFacts,
  h('h2', {}, 'Held by'), holdersEl,
  h('h2', {}, 'Depth over time'), chartEl,
  h('h2', {}, 'Contents'), peekBar, offsetNav, peekOut,
);

// ----------------------------------------------------------------------------------------------
// Rendering
// ----------------------------------------------------------------------------------------------

function factsRows(table: HTMLElement, rows: Array<[string, Child]>): void {
  table.replaceChildren(...rows.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v))));
}

function linkButton(label: string, onClick: () => void, title?: string): HTMLElement {
  const b = h('button', { class: 'link', type: 'button', title }, label);
  b.addEventListener('click', onClick);
  return b;
}

function render(): void {
  const u = lastUpdate;
  if (!u) {
    titleEl.textContent = 'IPC Inspector';
    statusEl.replaceChildren('Waiting for the first scan\u2026');
    return report('empty');
  }
  const live = u.paused
    ? button('Resume live updates', () => post({ type: 'setLive', live: true }), { icon: 'play', secondary: true, id: 'live-toggle' })
    : button('Pause live updates', () => post({ type: 'setLive', live: false }), { icon: 'debug-pause', secondary: true, id: 'live-toggle' });
  statusEl.replaceChildren(live, h('span', {}, `${u.paused ? 'paused' : 'live'} \u00b7 updated ${new Date(u.at).toLocaleTimeString()}`));
  if (!u.capabilities.native) statusEl.append(h('span', { title: u.capabilities.nativeError ?? '' }, 'native addon not loaded: peeks and pidfd signals are unavailable'));
  if (u.gone) {
    titleEl.textContent = u.target.pid ? `Process ${u.target.pid} has exited` : `${u.target.channelId ?? ''} no longer exists`;
    descEl.textContent = 'It disappeared from the last scan. Its history is kept below.';
    procSection.hidden = true;
    chanSection.hidden = true;
    return report('gone');
  }
  if (u.process) renderProcess(u.process);
  else procSection.hidden = true;
  signalLog.render(u.process ? u.signalLog : undefined);
  if (u.channel) renderChannel(u.channel);
  else chanSection.hidden = true;
  report(u.process ? 'process' : 'channel');
}

function renderProcess(p: ProcessView): void {
  procSection.hidden = false;
  chanSection.hidden = true;
  titleEl.textContent = `${p.comm} (${p.pid})`;
  descEl.textContent = p.vscodeLabel ? `This is ${p.vscodeLabel}: signalling it can break this editor session.` : 'A process: its signal dispositions, and the channels it holds.';
  factsRows(procFacts, [
    ['PID', String(p.pid)],
    ['Parent', String(p.ppid)],
    ['Command line', p.cmdline.length ? h('span', { class: 'mono' }, visible(p.cmdline.join(' '))) : '(none: kernel thread or zombie)'],
    ['User', `${p.user} (uid ${p.uid})`],
    ['State', p.state],
    ['Threads', String(p.threads)],
    ['Start time', `${p.startTime} ticks after boot (signals are bound to it)`],
    ['Traced by', p.tracerPid ? String(p.tracerPid) : 'not traced'],
    ['Queued signals', p.queued !== null ? `${p.queued} of ${p.queueLimit ?? '?'} (per user)` : undefined],
  ]);
  const rows = p.signals.filter((s) => state.filter === 'all' || s.caught || s.ignored || s.blocked || s.pending || !s.realtime);
  const mark = (on: boolean, cls: string, label: string) => h('td', { class: `flag ${on ? `yes ${cls}` : 'muted'}`, 'aria-label': `${label}: ${on ? 'yes' : 'no'}` }, on ? label : '\u2013');
  signalTable.replaceChildren(
    h('thead', {}, h('tr', {}, ...['#', 'Signal', 'Caught', 'Ignored', 'Blocked', 'Pending', 'Default action', 'Meaning', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...rows.map((s) => h('tr', {},
      h('td', {}, String(s.number)),
      h('td', { class: 'mono' }, s.name),
      mark(s.caught, 'caught', 'caught'),
      mark(s.ignored, 'ignored', 'ignored'),
      mark(s.blocked, 'blocked', 'blocked'),
      mark(s.pending, 'pending', 'pending'),
      h('td', {}, s.action),
      h('td', { class: 'muted' }, s.description),
      h('td', {}, linkButton('Select', () => selectSignal(s), `Put ${s.name} in the send field`)),
    ))),
  );
  procChannels.replaceChildren(
    p.channels.length === 0 ? h('p', { class: 'muted' }, 'No IPC channels.')
      : h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, ...['Channel', 'fd', 'Mode'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...p.channels.map((c) => h('tr', {},
          h('td', {}, linkButton(c.title, () => post({ type: 'inspect', channelId: c.id }), `Inspect ${c.id}`)),
          h('td', {}, c.fd !== undefined ? String(c.fd) : 'map'),
          h('td', {}, c.mode))))),
  );
  updateSignalHint();
}

function selectSignal(s: SignalRow): void {
  signalField.value = s.name;
  state.signal = s.name;
  save();
  updateSignalHint();
  signalField.focus();
}

function updateSignalHint(): void {
  const p = lastUpdate?.process;
  const n = signalNumber(signalField.value || '');
  if (n === undefined) {
    signalHint.textContent = signalField.value ? `Unknown signal: ${signalField.value}` : '';
    return;
  }
  const row = p?.signals.find((s) => s.number === n);
  const parts = [`${signalName(n)} (${n})`];
  if (row) {
    if (row.ignored) parts.push('ignored by this process \u2014 it will have no effect');
    else if (row.blocked) parts.push('blocked by this process \u2014 it stays pending');
    else if (row.caught) parts.push('caught by a handler');
    else parts.push(`default action: ${row.action}`);
    if (row.realtime) parts.push('real-time: queued, can carry an integer value');
  }
  signalHint.textContent = parts.join(' \u00b7 ');
}

function sendSignalFromForm(): void {
  const p = lastUpdate?.process;
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
  const requestId = nextRequest++;
  pendingSignal.add(requestId);
  signalResult.replaceChildren(h('div', { class: 'notice' }, `Sending ${signalName(n)}\u2026`));
  post({ type: 'sendSignal', requestId, pid: p.pid, startTime: p.startTime, signal: n, value });
}

function renderChannel(v: ChannelView): void {
  chanSection.hidden = false;
  procSection.hidden = true;
  const c = v.channel;
  titleEl.textContent = v.title;
  descEl.textContent = v.description;
  const rows: Array<[string, Child]> = [['Id', h('span', { class: 'mono' }, c.id)], ['Kind', c.kind]];
  for (const [k, val] of Object.entries(c)) {
    if (k === 'id' || k === 'kind' || k === 'endpoints') continue;
    if (val === null || val === undefined) continue;
    const text = k === 'key' && typeof val === 'number'
      ? `0x${(val >>> 0).toString(16).padStart(8, '0')}${val === 0 ? ' (IPC_PRIVATE)' : ''}`
      : Array.isArray(val) ? val.join(', ') : typeof val === 'object' ? JSON.stringify(val) : String(val);
    rows.push([k, h('span', { class: 'mono' }, visible(text))]);
  }
  factsRows(chanFacts, rows);
  holdersEl.replaceChildren(
    v.holders.length === 0 ? h('p', { class: 'muted' }, c.kind.startsWith('sysv') ? 'No process holds it open (SysV objects live in the kernel until removed).' : 'No process holds it.')
      : h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, ...['Process', 'User', 'fd / mapping', 'Mode'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...v.holders.map((x) => h('tr', {},
          h('td', {}, linkButton(`${x.comm} (${x.pid})`, () => post({ type: 'inspect', pid: x.pid }), `Inspect process ${x.pid}`)),
          h('td', {}, x.user),
          h('td', { class: 'mono' }, x.fd !== undefined ? `fd ${x.fd}` : x.map ?? ''),
          h('td', {}, x.mode))))),
  );
  const paged = c.kind === 'sysv-shm' || c.kind === 'posix-shm' || c.kind === 'anon-shm';
  offsetNav.hidden = !paged;
  renderChart();
  if (!lastPeek || lastPeek.channelId !== c.id) {
    if (pendingPeek.size === 0) requestPeek();
  }
}

// --- chart -----------------------------------------------------------------------------------

const SVG = 'http://www.w3.org/2000/svg';
function renderChart(): void {
  const hist = state.history;
  const names = [...new Set(hist.flatMap((s) => Object.keys(s.values)))].slice(0, 6);
  if (hist.length === 0 || names.length === 0) {
    chartEl.replaceChildren(h('p', { class: 'muted' }, 'No depth to plot for this kind of object.'));
    return;
  }
  const W = 600;
  const H = 100;
  const t0 = hist[0].t;
  const t1 = Math.max(hist[hist.length - 1].t, t0 + 1);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'chart');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const legend = h('div', { class: 'legend' });
  const labelParts: string[] = [];
  names.forEach((name, i) => {
    const pts = hist.filter((s) => typeof s.values[name] === 'number');
    const max = Math.max(1, ...pts.map((s) => s.values[name]));
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('class', `s${i}`);
    line.setAttribute('points', pts.map((s) => `${(((s.t - t0) / (t1 - t0)) * W).toFixed(1)},${(H - 4 - (s.values[name] / max) * (H - 8)).toFixed(1)}`).join(' '));
    svg.appendChild(line);
    const last = pts.length ? pts[pts.length - 1].values[name] : 0;
    const shown = name === 'bytes' ? fmtBytes(last) : String(last);
    legend.append(h('span', {}, h('span', { class: `swatch s${i}` }), `${name}: ${shown} (max ${name === 'bytes' ? fmtBytes(max) : max})`));
    labelParts.push(`${name} now ${shown}`);
  });
  const span = Math.round((t1 - t0) / 1000);
  svg.setAttribute('aria-label', `Depth over the last ${span} s: ${labelParts.join(', ')}`);
  chartEl.replaceChildren(svg, legend, h('div', { class: 'muted' }, `${hist.length} samples over ${span} s (each series scaled to its own maximum)`));
}

// --- peek ------------------------------------------------------------------------------------

function requestPeek(offset = state.offset): void {
  const c = lastUpdate?.channel?.channel;
  if (!c) return;
  const requestId = nextRequest++;
  pendingPeek.clear();
  pendingPeek.add(requestId);
  post({ type: 'peek', requestId, channelId: c.id, offset: c.kind === 'sysv-shm' || c.kind === 'posix-shm' || c.kind === 'anon-shm' ? Math.max(0, offset) : 0 });
}

function goOffset(o: number): void {
  if (!Number.isSafeInteger(o) || o < 0) o = 0;
  const c = lastUpdate?.channel?.channel;
  const size = c && (c.kind === 'sysv-shm' || c.kind === 'posix-shm' || c.kind === 'anon-shm') ? c.size : undefined;
  if (size !== undefined && o >= size) o = Math.max(0, size - (size % 16 || 16));
  o -= o % 16;
  state.offset = o;
  offsetField.value = String(o);
  save();
  requestPeek(o);
}

function hexView(bytes: Uint8Array, base: number, limit = 2048 * 16): HTMLElement {
  const grid = h('div', { class: 'hex', role: 'table', 'aria-label': 'Hex view: offset, bytes, text', tabindex: '0' });
  const n = Math.min(bytes.length, limit);
  for (let i = 0; i < n; i += 16) {
    const row = bytes.subarray(i, Math.min(i + 16, n));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    grid.append(h('span', { class: 'off' }, (base + i).toString(16).padStart(8, '0')), h('span', {}, hex.padEnd(47)), h('span', {}, text));
  }
  if (bytes.length > n) grid.append(h('span', { class: 'off' }, '\u2026'), h('span', {}, `${bytes.length - n} more bytes not shown (save to a file to see all)`), h('span', {}));
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
    return { kind: 'binary', text: utf8Lossy.decode(bytes) };
  }
  const printable = [...text].filter((ch) => ch >= ' ' || ch === '\n' || ch === '\t' || ch === '\r').length / Math.max(1, [...text].length);
  const t = text.trim();
  if ((t.startsWith('{') || t.startsWith('[')) && t.length < 4 * 1024 * 1024) {
    try {
      return { kind: 'json', text: JSON.stringify(JSON.parse(t), null, 2) };
    } catch {
      /* not JSON */
    }
  }
  return { kind: printable > 0.9 ? 'utf8' : 'binary', text };
}

function dataBlock(channelId: string, bytes: Uint8Array, base: number, index?: number): HTMLElement[] {
  const d = decode(bytes);
  const label = d.kind === 'json' ? 'JSON' : d.kind === 'utf8' ? 'UTF-8 text' : d.kind === 'empty' ? 'empty' : 'binary';
  const out: HTMLElement[] = [
    h('div', { class: 'row' },
      h('span', { class: 'badge' }, label),
      button('Copy hex', () => post({ type: 'copy', channelId, format: 'hex', index }), { secondary: true, icon: 'copy', title: 'Copy as hex' }),
      button('Copy text', () => post({ type: 'copy', channelId, format: 'text', index }), { secondary: true, icon: 'copy', title: 'Copy as text' }),
      button('Save\u2026', () => post({ type: 'save', channelId, index }), { secondary: true, icon: 'save', title: 'Save the bytes to a file' }),
    ),
  ];
  if (d.kind === 'json' || d.kind === 'utf8') out.push(h('pre', { class: 'text', 'data-role': 'text' }, visible(d.text)));
  if (bytes.length) out.push(hexView(bytes, base));
  return out;
}

function renderPeek(p: WirePeek): void {
  const head = h('div', { class: 'muted' }, `read at ${new Date(p.at).toLocaleTimeString()} via ${p.method}`);
  const parts: Child[] = [head, ...p.notes.map((n) => h('div', { class: 'notice warning' }, n))];
  switch (p.type) {
    case 'messages': {
      if (p.before && p.after) {
        const same = p.before.messages === p.after.messages && p.before.bytes === p.after.bytes;
        parts.push(h('div', { class: 'counters', id: 'counters' },
          h('span', {}, `before: ${p.before.messages} messages, ${fmtBytes(p.before.bytes)}`),
          h('span', {}, `after: ${p.after.messages} messages, ${fmtBytes(p.after.bytes)}`),
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
      parts.push(h('div', {}, `${bytes.length} bytes at offset ${p.offset}${p.total !== null ? ` of ${p.total}` : ''}${p.capacity ? ` (capacity ${fmtBytes(p.capacity)})` : ''}${p.via ? ` \u2014 through fd ${p.via.fd} of process ${p.via.pid}` : ''}`));
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
          post({ type: 'receiveMq', requestId: nextRequest++, channelId: p.channelId });
        }, { icon: 'warning', secondary: true, id: 'receive-mq', title: 'Takes one message off the queue, after a confirmation' })));
      break;
    }
  }
  peekOut.replaceChildren(...parts.filter((x): x is HTMLElement => x instanceof HTMLElement));
}

// ----------------------------------------------------------------------------------------------
// Test mode: report what was rendered (as text) so the extension tests can read the panel.
// ----------------------------------------------------------------------------------------------

function report(view: string): void {
  if (!testMode) return;
  const texts: string[] = [`title:${titleEl.textContent ?? ''}`];
  for (const a of peekOut.querySelectorAll('article.message')) {
    const i = a.getAttribute('data-index') ?? '';
    const header = a.querySelector('header')?.textContent ?? '';
    const text = a.querySelector('pre.text')?.textContent ?? '';
    texts.push(`message:${i}:${header}:${text}`);
  }
  for (const r of peekOut.querySelectorAll('.received')) texts.push(`received:${r.querySelector('header')?.textContent ?? ''}:${r.querySelector('pre.text')?.textContent ?? ''}`);
  for (const n of noticeEl.querySelectorAll('.notice')) texts.push(`notice:${n.textContent ?? ''}`);
  for (const n of peekOut.querySelectorAll('.notice')) texts.push(`peekNotice:${n.textContent ?? ''}`);
  const counters = peekOut.querySelector('#counters');
  if (counters) texts.push(`counters:${counters.textContent ?? ''}`);
  const sr = signalResult.textContent;
  if (sr) texts.push(`signalResult:${sr}`);
  for (const td of chanFacts.querySelectorAll('td')) texts.push(`fact:${td.textContent ?? ''}`);
  for (const tr of holdersEl.querySelectorAll('tbody tr')) texts.push(`holder:${tr.textContent ?? ''}`);
  texts.push(`signals:${signalTable.querySelectorAll('tbody tr').length}`);
  texts.push(...signalLog.texts());
  post({
    type: 'rendered',
    view,
    texts: texts.slice(0, 2000).map((t) => t.slice(0, 100000)),
    elementCount: document.querySelectorAll('*').length,
    imgCount: document.querySelectorAll('img, iframe, object, embed').length,
    scriptCount: document.querySelectorAll('script').length,
  });
}

function testDrive(m: Extract<HostMessage, { type: 'testDrive' }>): void {
  if (!testMode) return;
  if (m.action === 'sendSignal') {
    signalField.value = m.signal ?? '';
    valueField.value = m.value ?? '';
    sendButton.click();
  } else if (m.action === 'peek') peekButton.click();
  else if (m.action === 'receiveMq') document.getElementById('receive-mq')?.click();
  else report('report');
}

// ----------------------------------------------------------------------------------------------
// Messages from the host
// ----------------------------------------------------------------------------------------------

window.addEventListener('message', (ev: MessageEvent) => {
  const m: unknown = ev.data;
  if (!isHostMessage(m)) return;
  switch (m.type) {
    case 'init': {
      testMode = m.testMode;
      maxBytes = m.maxBytes;
      const same = JSON.stringify(m.target) === JSON.stringify(state.target);
      if (!same) {
        state = { ...state, target: m.target, history: [], offset: 0 };
        lastPeek = undefined;
        peekOut.replaceChildren();
        offsetField.value = '0';
        signalResult.replaceChildren();
      }
      save();
      break;
    }
    case 'update': {
      if (JSON.stringify(m.target) !== JSON.stringify(state.target)) return;
      lastUpdate = m;
      if (m.sample) {
        state.history.push(m.sample);
        if (state.history.length > HISTORY_MAX) state.history.splice(0, state.history.length - HISTORY_MAX);
        save();
      }
      const key = m.channel ? JSON.stringify(m.sample?.values ?? null) + JSON.stringify(m.channel.channel) : '';
      const changed = key !== lastDepthKey;
      lastDepthKey = key;
      render();
      if (m.channel && state.autoPeek && changed && lastPeek?.channelId === m.channel.channel.id && pendingPeek.size === 0) requestPeek();
      break;
    }
    case 'peekResult': {
      if (!pendingPeek.has(m.requestId)) return;
      pendingPeek.delete(m.requestId);
      if (m.result) {
        lastPeek = m.result;
        renderPeek(m.result);
      } else if (m.error) {
        peekOut.replaceChildren(h('div', { class: 'notice error', role: 'alert' }, `${m.error.code}: ${m.error.message}`), m.error.hint ? h('div', { class: 'muted' }, `Needed: ${m.error.hint}`) : '');
      }
      report('peek');
      break;
    }
    case 'signalResult': {
      if (!pendingSignal.has(m.requestId)) return;
      pendingSignal.delete(m.requestId);
      signalResult.replaceChildren(h('div', { class: `notice ${m.ok ? 'ok' : m.cancelled ? 'info' : 'error'}`, role: m.ok ? 'status' : 'alert' }, m.ok ? m.message : m.cancelled ? 'Not sent (cancelled).' : `${m.code ?? 'ERROR'}: ${m.message}`));
      report('signal');
      break;
    }
    case 'mqReceived': {
      if (m.cancelled) notice('info', 'Not received (cancelled).');
      else if (m.error) notice('error', `${m.error.code}: ${m.error.message}`);
      else if (m.data !== undefined) {
        const bytes = bytesFromBase64(m.data);
        const box = h('div', { class: 'message received' }, h('header', {}, h('strong', {}, 'Received (removed from the queue)'), h('span', {}, `priority ${m.priority ?? '?'}`), h('span', {}, `${bytes.length} bytes`)));
        append(box, dataBlock(lastPeek?.channelId ?? '', bytes, 0));
        peekOut.append(box);
      }
      report('mqReceived');
      break;
    }
    case 'notice':
      notice(m.level, m.message);
      break;
    case 'testDrive':
      testDrive(m);
      break;
  }
});

render();
post({ type: 'ready' });
