// The one message protocol between the topology map's host (extension) and its webview, imported
// by both sides (no Node or vscode imports here).
//
// host → webview (`HostMessage`, guarded by isHostMessage): the snapshot — a full copy in parts,
// then what changed on each refresh — the trees' filter, the diagnosis problems and, when a tracer
// runs, its per-channel rates. The webview's worker aggregates and lays out; the host does no
// graph work.
// webview → host (`WebviewMessage`): `ready` and `inspect` (open the inspector on a process or a
// channel). The webview is untrusted: validateWebviewMessage (the toolkit both panels share,
// ../validation.ts) checks every field (unknown types, extra or prototype-polluting keys, wrong
// types, out-of-range numbers are rejected with a reason the host logs); the host then opens only
// what is in the snapshot it sent.
import type { Channel } from '../../core/model';
import type { FilterState } from '../../core/filter';
import type { TopoDelta } from '../../core/topology/mapState';
import type { TopoProblem, TopoProcess } from '../../core/topology/types';
import { LIMITS } from '../inspector/protocol';
import { channelId, exactlyOne, hostMessageGuard, int, messageValidator, type Schema, type Validation as ValidationOf } from '../validation';

export const TOPOLOGY_VIEW_TYPE = 'ipcInspector.topology';
export const TOPOLOGY_PROTOCOL_VERSION = 1;

/** Entries per `full` message (a first snapshot of 50k channels arrives in parts, the host's event loop free in between). */
export const FULL_PART_ENTRIES = 2000;

// ---------------------------------------------------------------------------------------------
// host → webview
// ---------------------------------------------------------------------------------------------

export interface InitMessage { type: 'init'; protocol: number; testMode: boolean }
/** One part of a full snapshot; part 0 replaces whatever the webview had. */
export interface FullMessage { type: 'full'; at: number; part: number; parts: number; processes: TopoProcess[]; channels: Channel[] }
export interface DeltaMessage { type: 'delta'; delta: TopoDelta }
/** The trees' filter (src/core/filter.ts) and how the views describe it (plain text). */
export interface FilterMessage { type: 'filter'; filter: FilterState; description: string }
export interface ProblemsMessage { type: 'problems'; problems: TopoProblem[]; note: string }
/** Rates the tracer measured: [channel id, bytes/s, ops/s]; null when no tracer runs (the map estimates from queue depths). */
export interface RatesMessage { type: 'rates'; entries: Array<[string, number, number]> | null; note: string }
export interface PausedMessage { type: 'paused'; paused: boolean }

export type HostMessage = InitMessage | FullMessage | DeltaMessage | FilterMessage | ProblemsMessage | RatesMessage | PausedMessage;

/** Guard for the webview side (the host is trusted, but a stray message must not crash the UI). */
export const isHostMessage = hostMessageGuard<HostMessage>({ init: true, full: true, delta: true, filter: true, problems: true, rates: true, paused: true });

// ---------------------------------------------------------------------------------------------
// webview → host
// ---------------------------------------------------------------------------------------------

export interface ReadyMessage { type: 'ready' }
/** Open the inspector on exactly one of a process or a channel. */
export interface InspectMessage { type: 'inspect'; pid?: number; channelId?: string }

export type WebviewMessage = ReadyMessage | InspectMessage;

const SCHEMAS: Record<WebviewMessage['type'], Schema> = {
  ready: {},
  inspect: { pid: { check: int(1, LIMITS.pid), optional: true }, channelId: { check: channelId(LIMITS.channelId), optional: true } },
};

export type Validation = ValidationOf<WebviewMessage>;

/** Structural validation of anything the webview posted. That the pid/channel is in the snapshot sent is the host's check. */
export const validateWebviewMessage: (v: unknown) => Validation = messageValidator<WebviewMessage>(SCHEMAS, { inspect: exactlyOne('channelId', 'pid') });
