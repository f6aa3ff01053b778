// How many terminal columns a text takes, for the CLI's tables: a combining mark takes none (an `e`
// and six accents are one column), a wide character two (CJK, fullwidth forms, most emoji), any
// other one. Counting code points instead let a name another user chose pull or push the columns
// after it on its row. An approximation of wcwidth(3) by ranges (JavaScript has no
// East_Asian_Width property): what terminals draw wide. escapeControl has left no control or
// invisible character to count.

const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], // Hangul Jamo initials
  [0x2e80, 0x303e], // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana … CJK compatibility
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe30, 0xfe4f], // CJK compatibility forms
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6], // fullwidth signs
  [0x1f300, 0x1f64f], // pictographs, emoticons
  [0x1f900, 0x1f9ff], // supplemental symbols and pictographs
  [0x20000, 0x3fffd], // CJK extensions B …
];

const ZERO = /[\p{Mn}\p{Me}\u200d]/u;

function isWide(cp: number): boolean {
  if (cp < 0x1100) return false;
  for (const [a, b] of WIDE) if (cp >= a && cp <= b) return true;
  return false;
}

/** Terminal columns `s` takes. */
export function displayWidth(s: string): number {
  let w = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x300) {
      w++; // ASCII and Latin-1: one column each, nothing to look up
      continue;
    }
    const cp = s.codePointAt(i)!;
    if (cp > 0xffff) i++;
    const ch = String.fromCodePoint(cp);
    w += ZERO.test(ch) ? 0 : isWide(cp) ? 2 : 1;
  }
  return w;
}
