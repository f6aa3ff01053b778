// Escaping of text that other users control (process names, command lines, object names, paths,
// queue bytes) for every surface it reaches: a terminal, JSON on a terminal or a clipboard, VS
// Code notifications, modal dialogs, Markdown tooltips, quick picks, the Output channel (src/log.ts)
// and the webviews (webview/dom.ts). Pure functions: the CLI, the tree views, the commands and the
// panels all call these, so a surface never has its own ad-hoc rules.
//
// What each VS Code surface interprets (checked in the code-server 4.139.1 workbench bundle):
// - notifications (showInformation/Warning/ErrorMessage without `modal`): parseLinkedText turns
//   `[label](command:…|https://…|file:…)` into a clickable link — backslash escapes are NOT
//   honoured there, so the link pattern itself has to be broken (escapeLinks);
// - modal dialogs, tree labels and descriptions (string labels: no icons, newlines escaped),
//   TreeView.message (textContent), editor tab titles, quick input titles (textContent): plain text;
//   a modal's detail shows its newlines, so its lines' names are escaped where they are put in,
//   and its title is one line (dialogTitle);
// - quick pick label, description and detail, status bar text: `$(name)` renders a codicon;
//   `\$(name)` renders the literal text (escapeIcons);
// - MarkdownString tooltips: Markdown (escapeMarkdown; the strings are also created untrusted,
//   without HTML or theme icons).
// Everywhere, a name must read as what it is: control characters, bidi controls (U+202E turns
// `gpj.exe` into `exe.jpg`) and characters that draw nothing (U+200B: `ngin\u200bx` looks like
// `nginx`) become visible escapes (escapeControl).

const HEX = '0123456789abcdef';

type Ranges = ReadonlyArray<readonly [first: number, last: number]>;

/** Bidi controls: they reorder the text around them (`\u202e` makes `gpj.exe` read `exe.jpg`). Sorted. */
const BIDI: Ranges = [
  [0x061c, 0x061c], // ARABIC LETTER MARK
  [0x200e, 0x200f], // LRM, RLM
  [0x202a, 0x202e], // LRE, RLE, PDF, LRO, RLO
  [0x2066, 0x2069], // LRI, RLI, FSI, PDI
];

/**
 * Characters that draw nothing (Unicode's Default_Ignorable_Code_Point, plus the interlinear
 * annotation controls U+FFF9–FFFB, which hide the text between them): zero-width spaces and
 * joiners, the soft hyphen, word joiner and invisible operators, Hangul fillers, variation
 * selectors, tag characters. With them `ngin\u200bx` looks exactly like `nginx` and `/tmp/a\u2060b`
 * like `/tmp/ab` — two names that display the same, or a name that displays as another. Sorted.
 */
const INVISIBLE: Ranges = [
  [0x00ad, 0x00ad], // SOFT HYPHEN
  [0x034f, 0x034f], // COMBINING GRAPHEME JOINER
  [0x115f, 0x1160], // HANGUL CHOSEONG/JUNGSEONG FILLER
  [0x17b4, 0x17b5], // KHMER VOWEL INHERENT AQ/AA
  [0x180b, 0x180f], // MONGOLIAN FREE VARIATION SELECTORS, VOWEL SEPARATOR
  [0x200b, 0x200d], // ZERO WIDTH SPACE, ZWNJ, ZWJ
  [0x2060, 0x2065], // WORD JOINER, invisible operators
  [0x206a, 0x206f], // deprecated format characters
  [0x3164, 0x3164], // HANGUL FILLER
  [0xfe00, 0xfe0f], // VARIATION SELECTORS
  [0xfeff, 0xfeff], // BOM / ZERO WIDTH NO-BREAK SPACE
  [0xffa0, 0xffa0], // HALFWIDTH HANGUL FILLER
  [0xfff0, 0xfffb], // unassigned, INTERLINEAR ANNOTATION ANCHOR/SEPARATOR/TERMINATOR
  [0x1bca0, 0x1bca3], // SHORTHAND FORMAT CONTROLS
  [0x1d173, 0x1d17a], // MUSICAL SYMBOL BEGIN/END BEAM, TIE, SLUR, PHRASE
  [0xe0000, 0xe0fff], // TAGS, VARIATION SELECTORS SUPPLEMENT
];

function inRanges(c: number, ranges: Ranges): boolean {
  for (const [first, last] of ranges) {
    if (c < first) return false;
    if (c <= last) return true;
  }
  return false;
}

function isBidi(c: number): boolean {
  return inRanges(c, BIDI);
}

/** A character that draws nothing (INVISIBLE). */
export function isInvisible(c: number): boolean {
  return inRanges(c, INVISIBLE);
}

function isBidiOrInvisible(c: number): boolean {
  return isBidi(c) || isInvisible(c);
}

/** True for the code points escapeControl rewrites (outside surrogate handling). */
export function isDangerousCodePoint(c: number): boolean {
  return c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f) || c === 0x2028 || c === 0x2029 || isBidiOrInvisible(c);
}

export interface EscapeControlOptions {
  /** Keep `\n` as a real line break (modal dialog details). Everything else is still escaped. */
  keepNewlines?: boolean;
  /** Keep `\t` as a real tab (multi-line text: peeked bytes shown or copied as text). */
  keepTabs?: boolean;
}

/**
 * Makes attacker-controlled text safe to print: control characters (C0, DEL, C1 — ESC sequences
 * included), line/paragraph separators, bidi overrides, invisible characters (zero-width spaces
 * and joiners, tags: isInvisible) and lone surrogates become visible escapes (`\n`, `\t`, `\r`,
 * `\x1b`, `\x85`, `\u202e`, `\u200b`, `\u{e0041}`, `\ud800`). Markup is not touched.
 */
export function escapeControl(text: string, opts: EscapeControlOptions = {}): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue; // printable ASCII: most of every name, nothing to check
    let esc: string | null = null;
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)) {
      if ((c === 10 && opts.keepNewlines) || (c === 9 && opts.keepTabs)) continue;
      esc = c === 10 ? '\\n' : c === 9 ? '\\t' : c === 13 ? '\\r' : '\\x' + HEX[c >> 4] + HEX[c & 15];
    } else if (c === 0x2028 || c === 0x2029 || isBidiOrInvisible(c)) {
      esc = '\\u' + c.toString(16).padStart(4, '0');
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        // a valid pair: kept, unless it encodes an invisible character (tags, variation selectors)
        const cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        if (!isInvisible(cp)) {
          i++;
          continue;
        }
        out += text.slice(last, i) + '\\u{' + cp.toString(16) + '}';
        i++;
        last = i + 1;
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

/** The one-letter escapes: escapeControl's (`\n`, `\t`, `\r`) and JSON's, so an id copied out of `--json` text reads too. */
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '\\': '\\', '"': '"', '/': '/' };

/**
 * The inverse of escapeControl: `\n`, `\t`, `\r`, `\xNN`, `\uXXXX` (a pair of them for a
 * surrogate pair, as JSON writes one) and `\u{X…}` become the characters they name, and JSON's
 * `\\`, `\"`, `\/`, `\b`, `\f` too, so an id printed by the CLI's text or copied out of its
 * JSON can be given back (`peek`). unescapeControl(escapeControl(s)) === s for every s without a
 * backslash; text holding a backslash of its own is not always its own escape (the name
 * `a\nb` prints as itself, and so does `a` newline `b`): callers that look a name up by it also
 * compare escapeControl of each candidate with the text given (core/channelIds.ts). A backslash
 * not starting one of these is kept as it is.
 */
export function unescapeControl(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '\\' || i + 1 >= text.length) {
      out += c;
      i++;
      continue;
    }
    const n = text[i + 1];
    const simple = SIMPLE_ESCAPES[n];
    if (simple !== undefined) {
      out += simple;
      i += 2;
      continue;
    }
    if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
      out += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
      i += 4;
      continue;
    }
    if (n === 'u') {
      const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(text.slice(i + 2, i + 10));
      if (braced && parseInt(braced[1], 16) <= 0x10ffff) {
        out += String.fromCodePoint(parseInt(braced[1], 16));
        i += 2 + braced[0].length;
        continue;
      }
      if (/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16)); // code units: `\ud83d\ude00` joins into one pair
        i += 6;
        continue;
      }
    }
    out += c; // not an escape: the backslash is text
    i++;
  }
  return out;
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

/**
 * Text for a modal dialog's detail (plain text there; links broken anyway). Its newlines are kept:
 * the detail is lines we join, so every name inside them must already be escaped where it was
 * put in (core/format, core/text: a name's own newline is `\n` by then).
 */
export function dialogText(text: string, max = 8000): string {
  return escapeLinks(truncate(escapeControl(text, { keepNewlines: true }), max));
}

/**
 * Text for a modal dialog's title: one line — a newline in a name put into it shows as `\n`
 * and cannot start a line of its own in the question — links broken, bounded.
 */
export function dialogTitle(text: string, max = 1000): string {
  return escapeLinks(truncate(escapeControl(text), max));
}

/**
 * Text put on the clipboard from another user's bytes (a peeked message copied as text): what a
 * terminal would act on when it is pasted — ESC and C1 sequences (`\x1b[201~` ends a bracketed
 * paste early and runs the rest), bidi and invisible characters — is escaped; lines and tabs stay.
 */
export function clipboardText(text: string): string {
  return escapeControl(text, { keepNewlines: true, keepTabs: true });
}

/** Text for a quick pick label, description or detail: controls escaped, icons escaped, bounded. */
export function quickPickText(text: string, max = 500): string {
  return escapeIcons(truncate(escapeControl(text), max));
}

/** Code points JSON.stringify leaves raw that a terminal or a viewer would act on (DEL, C1, line and paragraph separators, bidi), or that draw nothing. */
const JSON_DANGEROUS: Ranges = ([[0x7f, 0x9f], [0x2028, 0x2029], ...BIDI, ...INVISIBLE] as Array<readonly [number, number]>).sort((a, b) => a[0] - b[0]);

/**
 * JSON.stringify, then DEL, C1 controls (U+0080–U+009F: 8-bit CSI/OSC on some terminals), line
 * and paragraph separators, bidi controls and invisible characters as `\uXXXX` (a pair of them
 * above U+FFFF). Still valid JSON that parses to the same value (those code points can only occur
 * inside strings); C0 and lone surrogates are already escaped by JSON.stringify.
 */
export function safeJson(value: unknown, space?: number): string {
  const s = JSON.stringify(value, null, space);
  if (s === undefined) return 'null';
  return s.replace(jsonDangerousPattern(), (c) => {
    let out = '';
    for (let i = 0; i < c.length; i++) out += '\\u' + c.charCodeAt(i).toString(16).padStart(4, '0');
    return out;
  });
}

let jsonPattern: RegExp | undefined;

/** JSON_DANGEROUS as one character class (a snapshot's JSON is tens of MB: a native replace scans it fastest). */
function jsonDangerousPattern(): RegExp {
  jsonPattern ??= new RegExp(`[${JSON_DANGEROUS.map(([a, b]) => `\\u{${a.toString(16)}}${b > a ? `-\\u{${b.toString(16)}}` : ''}`).join('')}]`, 'gu');
  return jsonPattern;
}
