// Escaping of text that other users control (process names, command lines, object names, paths,
// queue bytes) for every surface it reaches: a terminal, JSON on a terminal, VS Code
// notifications, Markdown tooltips, quick picks. Pure functions: the CLI, the tree views, the
// commands and the inspector panel all call these, so a surface never has its own ad-hoc rules.
//
// What each VS Code surface interprets (checked in the code-server 4.139.1 workbench bundle):
// - notifications (showInformation/Warning/ErrorMessage without `modal`): parseLinkedText turns
//   `[label](command:…|https://…|file:…)` into a clickable link — backslash escapes are NOT
//   honoured there, so the link pattern itself has to be broken (escapeLinks);
// - modal dialogs, tree labels and descriptions, TreeView.message, editor tab titles, quick input
//   titles: plain text (innerText / textContent);
// - quick pick label, description and detail, status bar text: `$(name)` renders a codicon;
//   `\$(name)` renders the literal text (escapeIcons);
// - MarkdownString tooltips: Markdown (escapeMarkdown; the strings are also created untrusted,
//   without HTML or theme icons).

const HEX = '0123456789abcdef';

/** Bidi controls and other invisible format characters that reorder or hide text. */
function isBidiOrInvisible(c: number): boolean {
  return (
    c === 0x061c || // ARABIC LETTER MARK
    c === 0x200e || c === 0x200f || // LRM, RLM
    (c >= 0x202a && c <= 0x202e) || // LRE, RLE, PDF, LRO, RLO
    (c >= 0x2066 && c <= 0x2069) || // LRI, RLI, FSI, PDI
    c === 0xfeff // BOM / zero-width no-break space
  );
}

/** True for the code points escapeControl rewrites (outside surrogate handling). */
export function isDangerousCodePoint(c: number): boolean {
  return c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f) || c === 0x2028 || c === 0x2029 || isBidiOrInvisible(c);
}

export interface EscapeControlOptions {
  /** Keep `\n` as a real line break (modal dialog details). Everything else is still escaped. */
  keepNewlines?: boolean;
}

/**
 * Makes attacker-controlled text safe to print: control characters (C0, DEL, C1 — ESC sequences
 * included), line/paragraph separators, bidi overrides and lone surrogates become visible
 * escapes (`\n`, `\t`, `\r`, `\x1b`, `\x85`, `\u202e`, `\ud800`). Markup is not touched.
 */
export function escapeControl(text: string, opts: EscapeControlOptions = {}): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let esc: string | null = null;
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)) {
      if (c === 10 && opts.keepNewlines) continue;
      esc = c === 10 ? '\\n' : c === 9 ? '\\t' : c === 13 ? '\\r' : '\\x' + HEX[c >> 4] + HEX[c & 15];
    } else if (c === 0x2028 || c === 0x2029 || isBidiOrInvisible(c)) {
      esc = '\\u' + c.toString(16).padStart(4, '0');
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++; // a valid pair
        continue;
      }
      esc = '\\u' + c.toString(16);
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      esc = '\\u' + c.toString(16); // lone low surrogate
    }
    if (esc !== null) {
      out += text.slice(last, i) + esc;
      last = i + 1;
    }
  }
  return last === 0 ? text : out + text.slice(last);
}

/** The ellipsis truncate() appends. */
export const ELLIPSIS = '…';

/**
 * At most `max` code points (a surrogate pair is never split); longer text keeps its first
 * `max - 1` and ends with `…`. Apply after escaping, so an escape cut in half stays harmless.
 */
export function truncate(text: string, max: number): string {
  if (max < 1) return '';
  if (text.length <= max) return text; // code points ≤ UTF-16 units
  let units = 0;
  let points = 0;
  let cut = 0;
  while (units < text.length) {
    if (points === max - 1) cut = units;
    if (points === max) return text.slice(0, cut) + ELLIPSIS; // more than `max` code points
    const c = text.charCodeAt(units);
    const d = text.charCodeAt(units + 1);
    units += c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
    points++;
  }
  return text;
}

/** escapeControl, then truncate: one line of at most `max` code points. */
export function oneLine(text: string, max = 1000): string {
  return truncate(escapeControl(text), max);
}

/**
 * Markdown-safe text for a MarkdownString: control characters escaped, then every ASCII
 * punctuation character backslash-escaped (CommonMark allows it for all of them), so `[x](…)`,
 * `**`, `<img>`, `&amp;`, autolinks (`https://…`, `www.…`) and `$(icon)` render literally.
 */
export function escapeMarkdown(text: string): string {
  return escapeControl(text).replace(/[!-/:-@[-`{-~]/g, (c) => '\\' + c);
}

/** Zero-width space: invisible, and breaks the `](` that VS Code's link parser needs. */
const ZWSP = '\u200b';

/**
 * Breaks every `[label](command:…)`-style link of VS Code's notification parser (regex
 * `\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^\)\s]+)…\)`): a zero-width space goes between
 * every `]` and `(`, and at the ends of the text when it starts with `(` or ends with `]`, so a
 * link cannot be completed by the text around it either. Shown text is unchanged to the eye.
 */
export function escapeLinks(text: string): string {
  let out = text.replace(/\](?=\()/g, ']' + ZWSP);
  if (out.startsWith('(')) out = ZWSP + out;
  if (out.endsWith(']')) out += ZWSP;
  return out;
}

/** Does VS Code's notification parser find a link in `text`? (its regex, for checks and tests) */
export const VSCODE_LINK_PATTERN = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/i;

/** VS Code's codicon syntax in labels: `$(name)` or `$(name~modifier)`. */
const ICON = /\$\([A-Za-z0-9-]+(?:~[A-Za-z]+)?\)/g;

/**
 * Quick pick labels/descriptions/details and status bar text render `$(name)` as an icon;
 * `\$(name)` renders as the literal text. A backslash already in front is kept and shows
 * (`\$(x)` becomes `\\$(x)`, rendered `\$(x)`).
 */
export function escapeIcons(text: string): string {
  return text.replace(ICON, (m) => '\\' + m);
}

/** Does `text` contain an unescaped `$(icon)` that VS Code would render? */
export function hasRenderedIcon(text: string): boolean {
  for (const m of text.matchAll(ICON)) {
    // Escaped when preceded by an odd run of backslashes? VS Code's regex takes exactly one.
    if (m.index === 0 || text[m.index - 1] !== '\\') return true;
  }
  return false;
}

/** Text for a VS Code notification: one line, controls escaped, links broken, bounded. */
export function notificationText(text: string, max = 2000): string {
  return escapeLinks(truncate(escapeControl(text), max));
}

/** Text for a modal dialog's message or detail (plain text there; links broken anyway). */
export function dialogText(text: string, max = 8000): string {
  return escapeLinks(truncate(escapeControl(text, { keepNewlines: true }), max));
}

/** Text for a quick pick label, description or detail: controls escaped, icons escaped, bounded. */
export function quickPickText(text: string, max = 500): string {
  return escapeIcons(truncate(escapeControl(text), max));
}

/** Code points JSON.stringify leaves raw that a terminal or a viewer would act on. */
const JSON_DANGEROUS = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * JSON.stringify, then DEL, C1 controls (U+0080–U+009F: 8-bit CSI/OSC on some terminals), line
 * and paragraph separators and bidi controls as `\uXXXX`. Still valid JSON that parses to the
 * same value (those code points can only occur inside strings); C0 and lone surrogates are
 * already escaped by JSON.stringify.
 */
export function safeJson(value: unknown, space?: number): string {
  const s = JSON.stringify(value, null, space);
  if (s === undefined) return 'null';
  return s.replace(JSON_DANGEROUS, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
