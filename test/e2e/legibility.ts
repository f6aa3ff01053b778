// Whether a webview reads in the theme the workbench wears, measured in the page as drawn: every
// visible text against the background it is drawn on (WCAG contrast, alpha composited), the
// depth chart's lines against the chart, the boxes drawn on a code-block background (the chart,
// the hex and text views) told from the page, and nothing cut on the right (a box that clips its
// text, or text past the frame's edge). Used on the inspector in the dark, light and
// high-contrast themes (trees.test.ts).
import * as assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';

export interface Legibility {
  /** Text elements measured. */
  texts: number;
  /** The lowest contrast of a text and where: `4.61 h2 "Held by"`. */
  worst: { ratio: number; where: string };
  /** Texts under `min` (at most 10). */
  low: string[];
  /** The depth chart's lines, each with its contrast against the chart's background. */
  lines: Array<{ cls: string; ratio: number }>;
  /**
   * Boxes (the chart, the hex and text views) that cannot be told from the page: the same
   * background as around them and no border of 3:1 (where a chart's scale starts and ends, where
   * peeked bytes begin, is then unseen), with their colours.
   */
  unseenBoxes: string[];
  /** Boxes whose text is cut on the right, or that reach past the frame's right edge (at most 10). */
  cut: string[];
  /** The page scrolls sideways (its content is wider than the frame). */
  sideways: boolean;
}

/** Measures the frame's page (see the file's header); texts under `min` are listed in `low`. */
export function measureLegibility(f: Frame, min: number): Promise<Legibility> {
  return f.evaluate((minRatio) => {
    type RGBA = [number, number, number, number];
    const parse = (c: string): RGBA | null => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return null;
      const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const over = (top: RGBA, below: RGBA): RGBA => [0, 1, 2].map((i) => top[i] * top[3] + below[i] * (1 - top[3])).concat(1) as RGBA;
    const lum = (c: RGBA) => {
      const [r, g, b] = c.slice(0, 3).map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a: RGBA, b: RGBA) => {
      const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
      return (x + 0.05) / (y + 0.05);
    };
    const parentOf = (el: Element): Element | null => el.parentElement ?? ((el.getRootNode() as ShadowRoot).host ?? null);
    // the background an element is drawn on: its own and its ancestors' layers, composited down to an opaque one
    const backdrop = (el: Element): RGBA => {
      const layers: RGBA[] = [];
      for (let e: Element | null = el; e; e = parentOf(e)) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c[3] > 0) {
          layers.push(c);
          if (c[3] >= 1) break;
        }
      }
      let base: RGBA = layers.length && layers[layers.length - 1][3] >= 1 ? layers.pop()! : [255, 255, 255, 1];
      while (layers.length) base = over(layers.pop()!, base);
      return base;
    };
    const label = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.classList.length ? '.' + [...el.classList].join('.') : ''} "${(el.textContent ?? '').trim().slice(0, 40)}"`;
    const all: Element[] = [];
    const walk = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('*')) {
        all.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    const width = document.documentElement.clientWidth;
    const out = { texts: 0, worst: { ratio: Infinity, where: '' }, low: [] as string[], lines: [] as Array<{ cls: string; ratio: number }>, unseenBoxes: [] as string[], cut: [] as string[], sideways: document.documentElement.scrollWidth > width + 1 };
    for (const el of all) {
      const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '');
      if (!own) continue;
      const st = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || st.visibility !== 'visible' || st.display === 'none') continue;
      // disabled controls are exempt from contrast (WCAG 1.4.3)
      if (el.closest('[disabled], [aria-disabled="true"]')) continue;
      const fg = parse(st.color);
      if (!fg) continue;
      const bg = backdrop(el);
      const c = ratio(over(fg, bg), bg);
      out.texts++;
      if (c < out.worst.ratio) out.worst = { ratio: Math.round(c * 100) / 100, where: label(el) };
      if (c < minRatio && out.low.length < 10) out.low.push(`${c.toFixed(2)} ${label(el)}`);
      const clips = ['hidden', 'clip'].includes(st.overflowX) && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0;
      if ((clips || r.right > width + 1) && out.cut.length < 10) out.cut.push(`${label(el)}: ${clips ? `${el.scrollWidth} px of text in ${el.clientWidth}` : `its right edge at ${Math.round(r.right)} px of ${width}`}`);
    }
    for (const box of document.querySelectorAll('svg.chart, .hex, pre.text')) {
      const bg = backdrop(box);
      const around = box.parentElement ? backdrop(box.parentElement) : bg;
      const st = getComputedStyle(box);
      const border = parse(st.borderTopColor);
      const bordered = parseFloat(st.borderTopWidth) > 0 && border !== null && ratio(over(border, around), around) >= 3;
      const differs = bg.slice(0, 3).some((v, i) => Math.abs(v - around[i]) > 1);
      if (!bordered && !differs) out.unseenBoxes.push(`${label(box)}: background ${st.backgroundColor} on rgb(${around.slice(0, 3).join(', ')}), border ${st.borderTopWidth} ${st.borderTopColor}`);
    }
    for (const chart of document.querySelectorAll('svg.chart')) {
      const bg = backdrop(chart);
      for (const line of chart.querySelectorAll('polyline, path, line')) {
        const s = parse(getComputedStyle(line).stroke);
        if (s) out.lines.push({ cls: line.getAttribute('class') ?? line.tagName, ratio: Math.round(ratio(over(s, bg), bg) * 100) / 100 });
      }
    }
    return out;
  }, min);
}

/**
 * Asserts the frame is legible in `theme`: every text at least `min` (WCAG AA 4.5; high contrast
 * themes are made for 7), the chart's lines at least 3 (WCAG's non-text contrast), nothing cut.
 */
export async function assertLegible(f: Frame, theme: string, min: number): Promise<Legibility> {
  const m = await measureLegibility(f, min);
  assert.ok(m.texts > 10, `${theme}: ${m.texts} texts measured: the page is not drawn`);
  assert.deepEqual(m.low, [], `${theme}: texts under ${min}:1 (the lowest ${m.worst.ratio}: ${m.worst.where})`);
  for (const l of m.lines) assert.ok(l.ratio >= 3, `${theme}: the chart's line ${l.cls} at ${l.ratio}:1 against the chart`);
  assert.deepEqual(m.unseenBoxes, [], `${theme}: boxes not told from the page`);
  assert.deepEqual(m.cut, [], `${theme}: cut on the right`);
  assert.equal(m.sideways, false, `${theme}: the page scrolls sideways`);
  return m;
}
