// The webview's state: what survives hide/show (setState; restored after a reload by the
// serializer) and what this page has received and asked for. One VS Code API handle, one post().
import type { DepthSample, InspectTarget, UpdateMessage, WebviewMessage, WirePeek } from '../src/webviews/inspector/protocol';
import { acquireApi } from './vscodeApi';

const vscode = acquireApi<WebviewMessage>();

export interface State {
  target: InspectTarget;
  history: DepthSample[];
  offset: number;
  autoPeek: boolean;
  signal: string;
  value: string;
  filter: 'all' | 'interesting';
  /**
   * The start time of the process a pid target was shown as: a panel revived after a reload
   * hands it to the host, which then takes a later process given that pid for another one.
   */
  startTime?: number;
  /** The message selected in a queue's table (its index): a panel hidden and shown again, or reloaded, shows the same one. */
  selected?: number;
}
export const HISTORY_MAX = 300;

function loadState(): State {
  const s = vscode.getState() as Partial<State> | undefined;
  return {
    target: s?.target && typeof s.target === 'object' ? s.target : {},
    history: Array.isArray(s?.history) ? s.history.slice(-HISTORY_MAX) : [],
    offset: typeof s?.offset === 'number' && s.offset >= 0 ? s.offset : 0,
    // Re-peeking by itself is opt-in: what the reader reads does not change under them (issue 11).
    autoPeek: s?.autoPeek === true,
    signal: typeof s?.signal === 'string' ? s.signal : 'SIGTERM',
    value: typeof s?.value === 'string' ? s.value : '',
    filter: s?.filter === 'all' ? 'all' : 'interesting',
    ...(typeof s?.startTime === 'number' ? { startTime: s.startTime } : {}),
    ...(typeof s?.selected === 'number' && Number.isSafeInteger(s.selected) && s.selected >= 0 ? { selected: s.selected } : {}),
  };
}

/** What this page knows: the persisted state and the session's (not persisted) facts. */
export const page = {
  state: loadState(),
  testMode: false,
  maxBytes: 65536,
  lastUpdate: undefined as UpdateMessage | undefined,
  lastPeek: undefined as WirePeek | undefined,
  nextRequest: 1,
  pendingPeek: new Set<number>(),
  pendingSignal: new Set<number>(),
  lastDepthKey: '',
  /** Index of the selected message of the last peek (its hex is shown). */
  selectedMessage: undefined as number | undefined,
};

page.selectedMessage = page.state.selected;

export function save(): void {
  vscode.setState(page.state);
}

export function post(m: WebviewMessage): void {
  vscode.postMessage(m);
}

let renderAll: () => void = () => undefined;
/** main.ts registers the whole-page render; views call rerender() after a local change (a filter box). */
export function onRerender(fn: () => void): void {
  renderAll = fn;
}
export function rerender(): void {
  renderAll();
}
