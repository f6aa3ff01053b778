// The one message protocol between the inspector panel's host (extension) and its webview.
// Imported by both sides (the webview bundle too: no Node or vscode imports here).
//
// webview → host: commands (`WebviewMessage`), each validated by `validateWebviewMessage` (built
// with the toolkit both panels share, ../validation.ts) — the webview is untrusted: unknown types,
// extra or prototype-polluting keys, wrong types, non-integers, out-of-range numbers are all
// rejected with a reason the host logs.
// host → webview: notifications (`HostMessage`), guarded by `isHostMessage`.
import type { Capabilities, Channel, ChannelKind, ProcessInfo, SignalState } from '../../core/model';
import { describe, isChannelId } from '../../core/kinds';
import {
  bool, channelId as channelIdCheck, atMostOne, exactlyOne, hostMessageGuard, int, messageValidator, oneOf, str, stringArray,
  type Schema, type Validation as ValidationOf,
} from '../validation';

export { isChannelId };

export const INSPECTOR_VIEW_TYPE = 'ipcInspector.inspector';
export const PROTOCOL_VERSION = 1;

/** Bounds shared by the validators and the UI. */
export const LIMITS = {
  requestId: 2 ** 31 - 1,
  pid: 4194304, // PID_MAX_LIMIT
  signal: 64,
  maxBytes: 16 * 1024 * 1024, // the setting's maximum
  channelId: 544, // core/kinds isChannelId: another IPC namespace's queue id of a 255-byte name's bytes is up to 541
  renderedTexts: 2000,
  renderedText: 1024 * 1024,
  /** Rows of a channel's holders and of a process's channels (then `… N more`): any user can hold one pipe through 500,000 fds. */
  rows: 1000,
  /** Runs of fds (or mappings) one row lists (core/endpointGroups rangesText). */
  rowRuns: 200,
  /** Messages a consuming POSIX mq receive took that the panel keeps (their bytes on the host, for Copy and Save), the newest. */
  received: 16,
} as const;

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

export interface InspectTarget {
  channelId?: string;
  pid?: number;
}

/** A signal and this process's disposition of it. */
export interface SignalRow {
  number: number;
  name: string;
  action: 'terminate' | 'core' | 'stop' | 'continue' | 'ignore';
  description: string;
  catchable: boolean;
  realtime: boolean;
  /** Keys of the signal sets (core/signalSets.ts: caught, ignored, blocked, pending, …) that hold it. */
  sets: string[];
  /**
   * The kernel drops it on arrival: the process is a pid namespace's init that does not handle it
   * (core/signalSets.ts droppedByInit): `own` of this namespace, `nested` a container's seen from outside.
   */
  droppedByInit?: 'own' | 'nested';
}

/** One process's hold on the channel in one mode: an fd or a mapping, or (`count` > 1) all its fds or mappings of that mode. */
export interface HolderView {
  pid: number;
  /** The fd, or a group's first. */
  fd?: number;
  map?: string;
  /** The mapping's offset into the object (Endpoint.mapOffset), when not 0. */
  mapOffset?: number;
  mode: string;
  comm: string;
  user: string;
  startTime: number | null;
  /** A group's fds as runs or its mappings, `fd 4–9,11–19999` (at most LIMITS.rowRuns runs, then `… N more`). */
  where?: string;
  /** Endpoints the row stands for, when more than one. */
  count?: number;
}

/** The process as the panel shows it: ProcessInfo's facts (core/model.ts; `nsPid` only when it is in a nested pid namespace), its signal queue, and what the host adds. */
export interface ProcessView
  extends Pick<ProcessInfo, 'pid' | 'ppid' | 'comm' | 'cmdline' | 'uid' | 'euid' | 'user' | 'startTime' | 'state' | 'tracerPid' | 'threads' | 'nsPid' | 'threadOf' | 'errors'>,
    Pick<SignalState, 'queued' | 'queueLimit'> {
  /** When it started (ISO), from startTime and the boot time; absent when /proc/stat could not be read. */
  startedAt?: string;
  /** The parent's and the tracer's comm when known (the panel names processes `comm[pid]`), as shown (shownComm). */
  parentComm?: string;
  tracerComm?: string;
  /** With threadOf: that process's comm. */
  threadOfComm?: string;
  signals: SignalRow[];
  /** Per channel and mode (at most LIMITS.rows): the fd, or `fds` of a process holding several, `4–9,11–19999`. */
  channels: Array<{ id: string; kind: ChannelKind; title: string; fd?: number; mode: string; fds?: string }>;
  /** Rows past LIMITS.rows, not sent. */
  moreChannels?: number;
  /** This process is VS Code itself (server, extension/pty host, watcher, or an ancestor): signalling it needs a confirmation. */
  vscodeLabel?: string;
  /** What started it inside VS Code: "terminal: bash (2)", "task: npm: watch", "debug: Launch Server". */
  provenance?: string;
  /** Its container: "podman web (3f2a9c1b7d4e)". */
  container?: string;
  netns?: string;
  pidns?: string;
  mntns?: string;
}

/** One signal log entry as the panel shows it (plain text; rendered with textContent). */
export interface SignalLogEntryView {
  seq: number;
  timeMs: number;
  signal: string;
  /** si_code name (SI_USER, SI_QUEUE, SI_TIMER, …) and what it means (kill, sigqueue, timer, …). */
  code: string;
  via: string;
  result: string;
  /** `bash[901]`, or `kernel` / `timer`. */
  sender: string;
  senderPid: number | null;
  receiver: string;
  receiverPid: number;
  value?: number;
}

/** The signals a process received and sent, from the live-activity signal log. */
export interface ProcessSignalLogView {
  /** The tracer logs signals now. */
  available: boolean;
  /** What runs, or why not and how to enable it. */
  note: string;
  /** Newest first. */
  received: SignalLogEntryView[];
  sent: SignalLogEntryView[];
}

/** A diagnosis problem about the inspected object (src/core/diagnose; plain text, rendered with textContent). */
export interface ProblemView {
  id: string;
  severity: 'error' | 'warning' | 'info';
  /** The rule's short name (`Blocked writer`). */
  rule: string;
  title: string;
  explanation: { what: string; why: string; next: string; fix: string };
  evidence: Array<{ label: string; text: string; source: string }>;
  /** ISO time first seen. */
  since: string;
  /** A wait chain, process → channel → process … (a cycle ends where it began). */
  chain?: Array<{ type: 'process'; pid: number; label: string } | { type: 'channel'; id: string; label: string }>;
  /** The safe actions it offers (the Problems view runs them, with their confirmations). */
  actions: string[];
}

export interface ChannelView {
  /** Its facts; its `endpoints` empty — `holders` lists them, grouped: a pipe held through 200,000 fds was 7 MB a message, every update. */
  channel: Channel;
  title: string;
  description: string;
  /** A process's endpoints of one mode in one row (from two), at most LIMITS.rows rows. */
  holders: HolderView[];
  /** Endpoints past the rows, not sent. */
  moreHolders?: number;
  /** comm of processes its facts mention (pid → comm), where the snapshot has them. */
  names?: Record<number, string>;
  /** What a peek would change in the object (kinds peekAlters): the panel then peeks only when asked. */
  peekAlters?: string;
  /** Why this object cannot be peeked though its kind can (kinds noPeekFor): no Peek button, no peek. */
  noPeek?: string;
  /** The other end, when the snapshot has it (a connection's peer, a Unix socket's): its id and who holds it, for the Peer fact's link. */
  peer?: { id: string; holders: string };
}

/** One point of the live depth chart. */
export interface DepthSample {
  t: number;
  /** Named series: `messages`, `bytes`, `sem[0]`, … */
  values: Record<string, number>;
  /** The most some series can reach (a pipe's capacity, a queue's limit): the chart scales those to it. */
  limits?: Record<string, number>;
}

export interface WireMessage {
  index: number;
  /** Decimal text past 2^53 (native.ts MsgCopyMessage). */
  type: number | string;
  size: number;
  truncated: boolean;
  /** base64 */
  data: string;
}

interface WirePeekBase {
  channelId: string;
  kind: ChannelKind;
  at: string;
  method: string;
  notes: string[];
}

export type WirePeek =
  | (WirePeekBase & { type: 'messages'; messages: WireMessage[]; before: { messages: number; bytes: number } | null; after: { messages: number; bytes: number } | null; truncated: boolean; first: number; next: number | null })
  | (WirePeekBase & { type: 'bytes'; offset: number; data: string; total: number | null; truncated: boolean; capacity?: number | null; via?: { pid: number; fd: number } })
  | (WirePeekBase & { type: 'semaphores'; semaphores: Array<{ index: number; value: number | null; waitingForIncrease: number | null; waitingForZero: number | null; lastPid: number | null }> })
  | (WirePeekBase & { type: 'mq-attributes'; messages: number | null; maxMessages: number | null; messageSize: number | null; bytes: number | null; notifyPid: number | null; nonDestructiveReadUnavailable: true; explanation: string })
  | (WirePeekBase & { type: 'facts'; facts: Array<{ id: string; title: string; text: string; help: string }> });

export interface WireError {
  code: string;
  message: string;
  hint?: string;
}

// ---------------------------------------------------------------------------------------------
// webview → host
// ---------------------------------------------------------------------------------------------

export interface ReadyMessage { type: 'ready' }
export interface PeekMessage { type: 'peek'; requestId: number; channelId: string; offset: number; maxBytes?: number }
export interface SendSignalMessage { type: 'sendSignal'; requestId: number; pid: number; startTime: number; signal: number; value?: number }
export interface ReceiveMqMessage { type: 'receiveMq'; requestId: number; channelId: string }
/**
 * Copy or save what the panel shows: the last peek's bytes (message `index` of a queue), or with
 * `received` the message a consuming POSIX mq receive took (its receiveMq request id): the only
 * copy of those bytes left anywhere.
 */
export interface CopyMessage { type: 'copy'; channelId: string; format: 'hex' | 'text'; index?: number; received?: number }
export interface SaveMessage { type: 'save'; channelId: string; index?: number; received?: number }
export interface InspectMessage { type: 'inspect'; channelId?: string; pid?: number }
export interface SetLiveMessage { type: 'setLive'; live: boolean }
/** Test mode only: what the webview rendered, as text, for the extension tests. */
export interface RenderedMessage { type: 'rendered'; view: string; texts: string[]; elementCount: number; imgCount: number; scriptCount: number }

export type WebviewMessage =
  | ReadyMessage
  | PeekMessage
  | SendSignalMessage
  | ReceiveMqMessage
  | CopyMessage
  | SaveMessage
  | InspectMessage
  | SetLiveMessage
  | RenderedMessage;

// ---------------------------------------------------------------------------------------------
// host → webview
// ---------------------------------------------------------------------------------------------

export interface InitMessage {
  type: 'init';
  protocol: number;
  target: InspectTarget;
  testMode: boolean;
  maxBytes: number;
  /** The same object under a new id (a TCP connection its process closed): its history and last peek stay. */
  continues?: boolean;
}
/** A target's last view before it went: `at` is that scan's time. */
export interface LastSeen { at: string; process?: ProcessView; channel?: ChannelView }
export interface UpdateMessage {
  type: 'update';
  at: string;
  target: InspectTarget;
  /** The target no longer exists (process exited, object removed). */
  gone: boolean;
  /** With `gone`: how the target was in the last scan that had it (shown read-only: no peek, no signal). */
  last?: LastSeen;
  /** With `gone`: the process has exited and its parent has not reaped it yet (state Z: it still holds its pid). */
  zombie?: boolean;
  process?: ProcessView;
  /** With `process`: the signals it received and sent (live activity). */
  signalLog?: ProcessSignalLogView;
  channel?: ChannelView;
  sample?: DepthSample;
  /** The diagnosis's problems about the target (absent while the diagnosis is off). */
  problems?: ProblemView[];
  capabilities: Capabilities;
  paused: boolean;
}
export interface PeekResultMessage { type: 'peekResult'; requestId: number; result?: WirePeek; error?: WireError }
export interface SignalResultMessage { type: 'signalResult'; requestId: number; ok: boolean; message: string; code?: string; cancelled?: boolean }
/** The answer to a receiveMq: `channelId` the queue it was asked of. */
/** `again`: a message received earlier, sent once more to a webview made anew (hidden and shown again) that lost it. */
export interface MqReceivedMessage { type: 'mqReceived'; requestId: number; channelId: string; priority?: number; data?: string; error?: WireError; cancelled?: boolean; again?: boolean }
export interface NoticeMessage { type: 'notice'; level: 'info' | 'warning' | 'error'; message: string }
/** Test mode only: ask the webview to drive its own UI (fill the form, press the button). */
export interface TestDriveMessage {
  type: 'testDrive';
  /** `focusHolder`: put the keyboard focus on the first "Held by" link; `selectMessage`: select message `index` of the table; `openPeer`: click the Peer fact's link; `copyReceived`: click Copy text of the last received message; `click`: click the control with id `id`; `typeSignal`: type `signal` into the send field (not sent). */
  action: 'sendSignal' | 'peek' | 'receiveMq' | 'report' | 'focusHolder' | 'selectMessage' | 'openPeer' | 'copyReceived' | 'click' | 'typeSignal';
  signal?: string;
  value?: string;
  pid?: number;
  index?: number;
  id?: string;
}

export type HostMessage = InitMessage | UpdateMessage | PeekResultMessage | SignalResultMessage | MqReceivedMessage | NoticeMessage | TestDriveMessage;

/** Guard for the webview side (the host is trusted, but a stray message must not crash the UI). */
export const isHostMessage = hostMessageGuard<HostMessage>({ init: true, update: true, peekResult: true, signalResult: true, mqReceived: true, notice: true, testDrive: true });

// ---------------------------------------------------------------------------------------------
// Validation of webview → host messages (the toolkit: ../validation.ts)
// ---------------------------------------------------------------------------------------------

const channelId = channelIdCheck(LIMITS.channelId);
const requestId = int(0, LIMITS.requestId);
const pid = int(1, LIMITS.pid);

const SCHEMAS: Record<WebviewMessage['type'], Schema> = {
  ready: {},
  peek: { requestId: { check: requestId }, channelId: { check: channelId }, offset: { check: int(0, Number.MAX_SAFE_INTEGER) }, maxBytes: { check: int(1, LIMITS.maxBytes), optional: true } },
  sendSignal: {
    requestId: { check: requestId },
    pid: { check: pid },
    startTime: { check: int(0, Number.MAX_SAFE_INTEGER) },
    signal: { check: int(1, LIMITS.signal) },
    value: { check: int(-2147483648, 2147483647), optional: true },
  },
  receiveMq: { requestId: { check: requestId }, channelId: { check: channelId } },
  copy: { channelId: { check: channelId }, format: { check: oneOf('hex', 'text') }, index: { check: int(0, 1 << 20), optional: true }, received: { check: requestId, optional: true } },
  save: { channelId: { check: channelId }, index: { check: int(0, 1 << 20), optional: true }, received: { check: requestId, optional: true } },
  inspect: { channelId: { check: channelId, optional: true }, pid: { check: pid, optional: true } },
  setLive: { live: { check: bool } },
  rendered: {
    view: { check: str(64) },
    texts: { check: stringArray(LIMITS.renderedTexts, LIMITS.renderedText) },
    elementCount: { check: int(0, 1e7) },
    imgCount: { check: int(0, 1e7) },
    scriptCount: { check: int(0, 1e7) },
  },
};

export type Validation = ValidationOf<WebviewMessage>;

/** Structural validation of anything the webview posted. Semantic checks (pid shown, live) are the host's. */
export const validateWebviewMessage: (v: unknown) => Validation = messageValidator<WebviewMessage>(SCHEMAS, {
  inspect: exactlyOne('channelId', 'pid'),
  copy: atMostOne('index', 'received'),
  save: atMostOne('index', 'received'),
});

/** `is()` guards, one per command, for dispatching validated messages. */
export const Msg = {
  is<T extends WebviewMessage['type']>(m: WebviewMessage, type: T): m is Extract<WebviewMessage, { type: T }> {
    return m.type === type;
  },
  isValid(v: unknown): v is WebviewMessage {
    return validateWebviewMessage(v).ok;
  },
};

// ---------------------------------------------------------------------------------------------
// Helpers used on both sides
// ---------------------------------------------------------------------------------------------

export function base64FromBytes(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

export function bytesFromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Series a channel contributes to the depth chart (its kind's `depth`: queued messages, bytes, semaphore values). */
export function depthOf(ch: Channel): Record<string, number> | undefined {
  const v = describe(ch).depth(ch);
  return v && Object.keys(v).length ? v : undefined;
}

/** The most those series can reach, where the kind knows it (its `depthLimits`). */
export function depthLimitsOf(ch: Channel): Record<string, number> | undefined {
  const v = describe(ch).depthLimits?.(ch);
  return v && Object.keys(v).length ? v : undefined;
}

/** What the host has shown in the panel: the only pids and channels a message may refer to. */
export interface Shown {
  /** pid → start time shown. */
  pids: ReadonlyMap<number, number>;
  channels: ReadonlySet<string>;
  /**
   * The one process this panel may signal: the process being inspected (null while a channel is
   * inspected; unset = none). Holders listed in a channel view can be inspected, not signalled.
   */
  signalPid?: number | null;
  /** Is the pid a live process right now (the host checks /proc and the latest snapshot)? */
  isLive?: (pid: number) => boolean;
}

/** Semantic check of a structurally valid message: it may only name what the panel showed. Null = fine. */
export function checkShown(m: WebviewMessage, shown: Shown): string | null {
  switch (m.type) {
    case 'peek':
    case 'receiveMq':
    case 'copy':
    case 'save':
      return shown.channels.has(m.channelId) ? null : `${m.type}: channel ${m.channelId} was not shown in this panel`;
    case 'inspect':
      if (m.pid !== undefined) return shown.pids.has(m.pid) ? null : `inspect: pid ${m.pid} was not shown in this panel`;
      return m.channelId !== undefined && shown.channels.has(m.channelId) ? null : `inspect: channel ${m.channelId} was not shown in this panel`;
    case 'sendSignal': {
      const st = shown.pids.get(m.pid);
      if (st === undefined) return `sendSignal: pid ${m.pid} was not shown in this panel`;
      if (shown.signalPid !== m.pid) return `sendSignal: pid ${m.pid} is not the process inspected in this panel`;
      if (st !== m.startTime) return `sendSignal: start time ${m.startTime} of pid ${m.pid} differs from the one shown (${st})`;
      if (shown.isLive && !shown.isLive(m.pid)) return `sendSignal: pid ${m.pid} is not a live process`;
      return null;
    }
    default:
      return null;
  }
}
