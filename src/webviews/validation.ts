// The validation toolkit both webview protocols (inspector/protocol.ts, topology/protocol.ts)
// build their boundary checks from: field checks, a validator made from one schema per message
// type, and the webview side's guard for host messages. The webview is untrusted: a validator
// rejects anything that is not a plain object, prototype-polluting or symbol keys, unknown types,
// extra or missing fields and every field its check refuses, each with a reason the host logs.
// Imported by the webview bundles too: no Node or vscode imports here.
import { isChannelId } from '../core/kinds';

/** Null when the value is fine, otherwise why not. */
export type Check = (v: unknown) => string | null;
export interface Field {
  check: Check;
  optional?: boolean;
}
/** The fields of one message type (`type` itself is implied). */
export type Schema = Record<string, Field>;

export type Validation<M> = { ok: true; message: M } | { ok: false; reason: string };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A plain object (or one without a prototype): no arrays, class instances or inherited fields. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export const int = (min: number, max: number): Check => (v) =>
  typeof v !== 'number' ? `expected an integer, got ${typeof v}`
  : !Number.isSafeInteger(v) ? `expected an integer, got ${String(v)}`
  : v < min || v > max ? `${v} is out of range [${min}, ${max}]`
  : null;

export const str = (maxLen: number, pattern?: RegExp): Check => (v) =>
  typeof v !== 'string' ? `expected a string, got ${typeof v}`
  : v.length > maxLen ? `string longer than ${maxLen}`
  : pattern && !pattern.test(v) ? `malformed value`
  : null;

export const oneOf = (...values: string[]): Check => (v) => (typeof v === 'string' && values.includes(v) ? null : `expected one of ${values.join(', ')}`);

export const bool: Check = (v) => (typeof v === 'boolean' ? null : `expected a boolean, got ${typeof v}`);

export const stringArray = (maxItems: number, maxLen: number): Check => (v) => {
  if (!Array.isArray(v)) return 'expected an array';
  if (v.length > maxItems) return `more than ${maxItems} items`;
  for (const x of v) if (typeof x !== 'string' || x.length > maxLen) return 'expected short strings';
  return null;
};

/**
 * Channel ids are `kind:rest`, the rest of the shape its kind declares (core/kinds idShape); POSIX
 * ids carry the object's name, which may hold any byte but NUL (spaces, newlines, markup). Only the
 * shape is checked here; the host accepts only ids it showed.
 */
export const channelId = (maxLen: number): Check => (v) =>
  typeof v !== 'string' ? `expected a string, got ${typeof v}`
  : v.length > maxLen ? `string longer than ${maxLen}`
  : !isChannelId(v, maxLen) ? 'malformed channel id'
  : null;

/** A whole-message rule, checked after every field passed (e.g. exactly one of two optional fields). */
export type Rule = (m: Record<string, unknown>) => string | null;

/** Exactly one of two optional fields is present. */
export const exactlyOne = (a: string, b: string): Rule => (m) => ((m[a] === undefined) === (m[b] === undefined) ? `exactly one of ${a} and ${b}` : null);

/** At most one of two optional fields is present. */
export const atMostOne = (a: string, b: string): Rule => (m) => (m[a] !== undefined && m[b] !== undefined ? `at most one of ${a} and ${b}` : null);

/**
 * The structural validator of a protocol's webview → host messages: one schema per message type
 * (a type of the union without one is a compile error) and optional whole-message rules.
 */
export function messageValidator<M extends { type: string }>(
  schemas: Record<M['type'], Schema>,
  rules: Partial<Record<M['type'], Rule>> = {},
): (v: unknown) => Validation<M> {
  const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  return (v) => {
    if (!isRecord(v)) return { ok: false, reason: 'not a plain object' };
    const keys = Object.getOwnPropertyNames(v);
    for (const k of keys) if (FORBIDDEN_KEYS.has(k)) return { ok: false, reason: `forbidden key ${JSON.stringify(k)}` };
    if (Object.getOwnPropertySymbols(v).length > 0) return { ok: false, reason: 'symbol keys' };
    const type = v.type;
    if (typeof type !== 'string' || !has(schemas, type)) {
      return { ok: false, reason: `unknown message type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 40) : typeof type)}` };
    }
    const schema: Schema = schemas[type as M['type']];
    for (const k of keys) {
      if (k === 'type') continue;
      if (!has(schema, k)) return { ok: false, reason: `${type}: unexpected field ${JSON.stringify(k.slice(0, 40))}` };
    }
    for (const [k, f] of Object.entries(schema)) {
      const present = has(v, k) && v[k] !== undefined;
      if (!present) {
        if (f.optional) continue;
        return { ok: false, reason: `${type}: missing field ${k}` };
      }
      const err = f.check(v[k]);
      if (err) return { ok: false, reason: `${type}.${k}: ${err}` };
    }
    const rule: Rule | undefined = has(rules, type) ? rules[type as M['type']] : undefined;
    const broken = rule?.(v);
    if (broken) return { ok: false, reason: `${type}: ${broken}` };
    return { ok: true, message: v as unknown as M };
  };
}

/**
 * The webview side's guard for host → webview messages (the host is trusted, but a stray message
 * must not crash the UI): a plain object whose type is one of the protocol's (every type listed:
 * the record makes a missing one a compile error).
 */
export function hostMessageGuard<M extends { type: string }>(types: Record<M['type'], true>): (v: unknown) => v is M {
  const known: ReadonlySet<string> = new Set(Object.keys(types));
  return (v): v is M => isRecord(v) && typeof v.type === 'string' && known.has(v.type);
}
