// Whether the CLI's text for people may use the typographic characters it is written with (— → …
// ’ ·): only when the locale's character set is UTF-8. Under LANG=C, LC_ALL=POSIX or a Latin-1
// locale a terminal shows their UTF-8 bytes as mojibake, so they become ASCII fallbacks (`-`,
// `->`, `...`). A name another user chose that holds one of them gets the fallback too (the text
// is rewritten as a whole); its other non-ASCII characters are written as `\uXXXX`, as `ps` writes
// them there: their UTF-8 bytes hold 0x80–0x9F (U+011B is C4 9B), which a terminal in an 8-bit
// charset takes for C1 controls (0x9B is CSI: U+011B then `2J` would clear the screen). UTF-8 text is left
// byte for byte as it was, and JSON is never rewritten (output.ts).

/** The locale LC_CTYPE resolves to, as setlocale() and `locale` find it: LC_ALL, then LC_CTYPE, then LANG (empty = unset); "C" without any. */
export function ctypeLocale(env: NodeJS.ProcessEnv): string {
  for (const name of ['LC_ALL', 'LC_CTYPE', 'LANG']) {
    const v = env[name];
    if (v) return v;
  }
  return 'C';
}

/**
 * A locale whose codeset is UTF-8: `C.UTF-8`, `en_US.utf8`, `de_DE.UTF-8@euro` (and a bare `UTF-8`).
 * A name without a codeset (`en_US`, `C`, `POSIX`) is glibc's legacy charset for it, never UTF-8.
 */
export function isUtf8Locale(locale: string): boolean {
  return /(?:^|\.)utf-?8(?:@|$)/i.test(locale);
}

/** The typographic characters of the CLI's text (and the views' texts it prints) and their ASCII fallbacks. */
const FALLBACKS: Readonly<Record<string, string>> = {
  '\u2014': '-', // — em dash
  '\u2013': '-', // – en dash
  '\u2212': '-', // − minus
  '\u2192': '->', // → arrow
  '\u2190': '<-', // ←
  '\u2194': '<->', // ↔
  '\u21c4': '<->', // ⇄ a pty's masters and slaves
  '\u2026': '...', // … ellipsis
  '\u00b7': '|', // · middle dot (a separator)
  '\u2018': "'", // ‘
  '\u2019': "'", // ’
  '\u201c': '"', // “
  '\u201d': '"', // ”
  '\u2264': '<=', // ≤
  '\u2265': '>=', // ≥
  '\u2248': '~', // ≈
  '\u2260': '!=', // ≠
  '\u00d7': 'x', // ×
  '\u2022': '*', // • bullet
  '\u203a': '>', // ›
  '\u00ab': '<<', // «
  '\u00bb': '>>', // »
  '\u00b5': 'u', // µ micro
  '\u26a0': '!', // ⚠
  '\u2726': '*', // ✦
};

const TYPOGRAPHIC = new RegExp(`[${Object.keys(FALLBACKS).join('')}]`, 'gu');

/** `text` with every typographic character of FALLBACKS replaced by its ASCII fallback. */
export function asciiFallbacks(text: string): string {
  return text.replace(TYPOGRAPHIC, (c) => FALLBACKS[c]);
}

const NON_ASCII = /[^\x00-\x7f]/gu;

/** `text` in ASCII: the typographic characters' fallbacks, every other non-ASCII character as `\uXXXX` (`\u{XXXXX}` past the BMP). */
export function asciiText(text: string): string {
  return asciiFallbacks(text).replace(NON_ASCII, (c) => {
    const cp = c.codePointAt(0)!;
    return cp > 0xffff ? `\\u{${cp.toString(16)}}` : '\\u' + cp.toString(16).padStart(4, '0');
  });
}
