// The one message protocol between the topology map's host (extension) and its webview, imported
// by both sides (no Node or vscode imports here).
//
// host → webview (`HostMessage`, guarded by isHostMessage): the snapshot — a full copy in parts,
// then what changed on each refresh — the trees' filter, the diagnosis problems and, when a tracer
// runs, its per-channel rates. The webview's worker aggregates and lays out; the host does no
// graph work.
// webview → host (`WebviewMessage`): `ready` and `inspect` (open the inspector on a process or a
// channel). The webview is untrusted: validateWebviewMessage checks every field (unknown types,
// extra or prototype-polluting keys, wrong types, out-of-range numbers are rejected with a reason
// the host logs); the host then opens only what is in the snapshot it sent.
import type { Channel } from '../../core/model';
import type { FilterState } from '../../views/filter';
import type { TopoDelta } from '../../core/topology/mapState';
import type { TopoProblem, TopoProcess } from '../../core/topology/types';
import { isChannelId } from '../../core/kinds';
import { LIMITS } from '../inspector/protocol';

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
/** The trees' filter (src/views/filter.ts) and how the views describe it (plain text). */
export interface FilterMessage { type: 'filter'; filter: FilterState; description: string }
export interface ProblemsMessage { type: 'problems'; problems: TopoProblem[]; note: string }
/** Rates the tracer measured: [channel id, bytes/s, ops/s]; null when no tracer runs (the map estimates from queue depths). */
export interface RatesMessage { type: 'rates'; entries: Array<[string, number, number]> | null; note: string }
export interface PausedMessage { type: 'paused'; paused: boolean }

export type HostMessage = InitMessage | FullMessage | DeltaMessage | FilterMessage | ProblemsMessage | RatesMessage | PausedMessage;

const HOST_TYPES: ReadonlySet<string> = new Set(['init', 'full', 'delta', 'filter', 'problems', 'rates', 'paused']);

/** Guard for the webview side (the host is trusted, but a stray message must not crash the UI). */
export function isHostMessage(v: unknown): v is HostMessage {
  return isRecord(v) && typeof v.type === 'string' && HOST_TYPES.has(v.type);
}

// ---------------------------------------------------------------------------------------------
// webview → host
// ---------------------------------------------------------------------------------------------

export interface ReadyMessage { type: 'ready' }
/** Open the inspector on exactly one of a process or a channel. */
export interface InspectMessage { type: 'inspect'; pid?: number; channelId?: string }

export type WebviewMessage = ReadyMessage | InspectMessage;

type Check = (v: unknown) => string | null;
interface Field { check: Check; optional?: boolean }

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const int = (min: number, max: number): Check => (v) =>
  typeof v !== 'number' ? `expected an integer, got ${typeof v}`
  : !Number.isSafeInteger(v) ? `expected an integer, got ${String(v)}`
  : v < min || v > max ? `${v} is out of range [${min}, ${max}]`
  : null;

const channelId: Check = (v) =>
  typeof v !== 'string' ? `expected a string, got ${typeof v}`
  : v.length > LIMITS.channelId ? `string longer than ${LIMITS.channelId}`
  : !isChannelId(v) ? 'malformed channel id'
  : null;

const SCHEMAS: Record<WebviewMessage['type'], Record<string, Field>> = {
  ready: {},
  inspect: { pid: { check: int(1, LIMITS.pid), optional: true }, channelId: { check: channelId, optional: true } },
};

export type Validation = { ok: true; message: WebviewMessage } | { ok: false; reason: string };

/** Structural validation of anything the webview posted. That the pid/channel is in the snapshot sent is the host's check. */
export function validateWebviewMessage(v: unknown): Validation {
  if (!isRecord(v)) return { ok: false, reason: 'not a plain object' };
  const keys = Object.getOwnPropertyNames(v);
  for (const k of keys) if (FORBIDDEN_KEYS.has(k)) return { ok: false, reason: `forbidden key ${JSON.stringify(k)}` };
  if (Object.getOwnPropertySymbols(v).length > 0) return { ok: false, reason: 'symbol keys' };
  const type = v.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(SCHEMAS, type)) {
    return { ok: false, reason: `unknown message type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 40) : typeof type)}` };
  }
  const schema = SCHEMAS[type as WebviewMessage['type']];
  for (const k of keys) {
    if (k === 'type') continue;
    if (!Object.prototype.hasOwnProperty.call(schema, k)) return { ok: false, reason: `${type}: unexpected field ${JSON.stringify(k.slice(0, 40))}` };
  }
  for (const [k, f] of Object.entries(schema)) {
    const present = Object.prototype.hasOwnProperty.call(v, k) && v[k] !== undefined;
    if (!present) {
      if (f.optional) continue;
      return { ok: false, reason: `${type}: missing field ${k}` };
    }
    const err = f.check(v[k]);
    if (err) return { ok: false, reason: `${type}.${k}: ${err}` };
  }
  if (type === 'inspect' && (v.channelId === undefined) === (v.pid === undefined)) {
    return { ok: false, reason: 'inspect: exactly one of channelId and pid' };
  }
  return { ok: true, message: v as unknown as WebviewMessage };
}
