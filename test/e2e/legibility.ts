// Whether a webview reads in the theme the workbench wears, measured in the page as drawn: every
// visible text against the background it is drawn on (WCAG contrast, alpha composited), the
// depth chart's lines against the chart, the boxes drawn on a code-block background (the chart,
// the hex and text views) told from the page, and nothing cut on the right (a box that clips its
// text, or text past the frame's edge), and the chart's palette: every series it can draw told
// from the others, readable on the chart, and told from the theme's warning and error colours
// (CIEDE2000: charts.yellow and charts.red are those colours themselves). Used on the inspector in the dark, light and
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
  /**
   * Every series the depth chart can draw (six: webview/chart.ts), drawn now or not: its colour as
   * the stylesheet gives it (rgb) and its contrast against the chart's background.
   */
  series: Array<{ cls: string; rgb: [number, number, number]; ratio: number }>;
  /** The theme's warning and error colours (those of them it sets), by their variable. */
  signals: Array<{ name: string; rgb: [number, number, number] }>;
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
    const out = { texts: 0, worst: { ratio: Infinity, where: '' }, low: [] as string[], lines: [] as Array<{ cls: string; ratio: number }>, series: [] as Array<{ cls: string; rgb: [number, number, number]; ratio: number }>, signals: [] as Array<{ name: string; rgb: [number, number, number] }>, unseenBoxes: [] as string[], cut: [] as string[], sideways: document.documentElement.scrollWidth > width + 1 };
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
    // The palette: a chart of six series (a semaphore set's first six values) drawn beside the one
    // shown, read, and taken away (the page shows one series or two most of the time).
    const shown = document.querySelector('svg.chart');
    const NS = 'http://www.w3.org/2000/svg';
    const probe = document.createElementNS(NS, 'svg');
    probe.setAttribute('class', 'chart');
    (shown?.parentElement ?? document.body).appendChild(probe);
    const chartBg = backdrop(probe);
    for (let i = 0; i < 6; i++) {
      const line = probe.appendChild(document.createElementNS(NS, 'polyline'));
      line.setAttribute('class', `s${i}`);
      const s = parse(getComputedStyle(line).stroke);
      if (s) out.series.push({ cls: `s${i}`, rgb: over(s, chartBg).slice(0, 3) as [number, number, number], ratio: Math.round(ratio(over(s, chartBg), chartBg) * 100) / 100 });
    }
    probe.remove();
    const root = getComputedStyle(document.documentElement);
    for (const name of ['--vscode-editorWarning-foreground', '--vscode-problemsWarningIcon-foreground', '--vscode-editorError-foreground', '--vscode-problemsErrorIcon-foreground', '--vscode-errorForeground']) {
      if (!root.getPropertyValue(name).trim()) continue;
      const el = document.body.appendChild(document.createElement('span'));
      el.style.color = `var(${name})`;
      const c = parse(getComputedStyle(el).color);
      el.remove();
      if (c) out.signals.push({ name: name.replace(/^--vscode-/, ''), rgb: over(c, chartBg).slice(0, 3) as [number, number, number] });
    }
    return out;
  }, min);
}

/** sRGB (0–255) to CIELAB (D65). */
function lab([r, g, b]: readonly number[]): [number, number, number] {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  };
  const [R, G, B] = [lin(r), lin(g), lin(b)];
  const x = (0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047;
  const y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
  const z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

/** CIEDE2000 colour difference of two sRGB colours: ~1 is what an eye just tells apart; two chart lines read as different colours from ~10. */
export function deltaE2000(p: readonly number[], q: readonly number[]): number {
  const [L1, a1, b1] = lab(p);
  const [L2, a2, b2] = lab(q);
  const rad = Math.PI / 180;
  const Cb = (Math.hypot(a1, b1) + Math.hypot(a2, b2)) / 2;
  const G = 0.5 * (1 - Math.sqrt(Cb ** 7 / (Cb ** 7 + 25 ** 7)));
  const [A1, A2] = [(1 + G) * a1, (1 + G) * a2];
  const [C1, C2] = [Math.hypot(A1, b1), Math.hypot(A2, b2)];
  const hue = (bb: number, aa: number) => ((Math.atan2(bb, aa) / rad) + 360) % 360;
  const [h1, h2] = [hue(b1, A1), hue(b2, A2)];
  let dh = C1 * C2 === 0 ? 0 : h2 - h1;
  if (dh > 180) dh -= 360;
  else if (dh < -180) dh += 360;
  const dL = L2 - L1;
  const dC = C2 - C1;
  const dH = 2 * Math.sqrt(C1 * C2) * Math.sin((dh / 2) * rad);
  const Lm = (L1 + L2) / 2;
  const Cm = (C1 + C2) / 2;
  const hm = C1 * C2 === 0 ? h1 + h2 : Math.abs(h1 - h2) > 180 ? (h1 + h2 + (h1 + h2 < 360 ? 360 : -360)) / 2 : (h1 + h2) / 2;
  const T = 1 - 0.17 * Math.cos((hm - 30) * rad) + 0.24 * Math.cos(2 * hm * rad) + 0.32 * Math.cos((3 * hm + 6) * rad) - 0.2 * Math.cos((4 * hm - 63) * rad);
  const SL = 1 + (0.015 * (Lm - 50) ** 2) / Math.sqrt(20 + (Lm - 50) ** 2);
  const SC = 1 + 0.045 * Cm;
  const SH = 1 + 0.015 * Cm * T;
  const RT = -Math.sin(2 * 30 * Math.exp(-(((hm - 275) / 25) ** 2)) * rad) * 2 * Math.sqrt(Cm ** 7 / (Cm ** 7 + 25 ** 7));
  return Math.sqrt((dL / SL) ** 2 + (dC / SC) ** 2 + (dH / SH) ** 2 + RT * (dC / SC) * (dH / SH));
}

/** Two chart series, or a series and a warning or error colour, closer than this read as one colour. */
const MIN_DELTA_E = 10;

/**
 * The chart's palette in numbers: each series' nearest other series and its distance from the
 * warning and error colours (`s5: nearest s0 17.3; warning 49.6, error 63.3`).
 */
export function paletteText(m: Pick<Legibility, 'series' | 'signals'>): string[] {
  return m.series.map((s) => {
    const others = m.series.filter((o) => o !== s).map((o) => ({ cls: o.cls, d: deltaE2000(s.rgb, o.rgb) }));
    const nearest = others.reduce((a, b) => (b.d < a.d ? b : a));
    const sig = (kind: RegExp) => Math.min(...m.signals.filter((x) => kind.test(x.name)).map((x) => deltaE2000(s.rgb, x.rgb))).toFixed(1);
    return `${s.cls}: nearest ${nearest.cls} ${nearest.d.toFixed(1)}; warning ${sig(/Warning/)}, error ${sig(/[Ee]rror/)}; ${s.ratio}:1`;
  });
}

/**
 * Asserts the frame is legible in `theme`: every text at least `min` (WCAG AA 4.5; high contrast
 * themes are made for 7), the chart's lines at least 3 (WCAG's non-text contrast), its series
 * MIN_DELTA_E apart, each at least 3 on the chart and MIN_DELTA_E from the warning and error
 * colours; nothing cut.
 */
export async function assertLegible(f: Frame, theme: string, min: number): Promise<Legibility> {
  const m = await measureLegibility(f, min);
  assert.ok(m.texts > 10, `${theme}: ${m.texts} texts measured: the page is not drawn`);
  assert.deepEqual(m.low, [], `${theme}: texts under ${min}:1 (the lowest ${m.worst.ratio}: ${m.worst.where})`);
  for (const l of m.lines) assert.ok(l.ratio >= 3, `${theme}: the chart's line ${l.cls} at ${l.ratio}:1 against the chart`);
  // the palette, drawn or not: every series told from every other one, readable on the chart, and
  // told from the theme's warning and error colours (the numbers are in paletteText: the callers log them)
  const palette = paletteText(m).join(' | ');
  assert.equal(m.series.length, 6, `${theme}: the chart's series: ${palette}`);
  assert.ok(m.signals.some((x) => /Warning/.test(x.name)) && m.signals.some((x) => /[Ee]rror/.test(x.name)), `${theme}: no warning or error colour read: ${JSON.stringify(m.signals)}`);
  for (const s of m.series) for (const o of m.series) if (o !== s) assert.ok(deltaE2000(s.rgb, o.rgb) >= MIN_DELTA_E, `${theme}: series ${s.cls} and ${o.cls} are one colour to the eye: ${palette}`);
  for (const s of m.series) {
    assert.ok(s.ratio >= 3, `${theme}: the chart's series ${s.cls} at ${s.ratio}:1 against the chart: ${palette}`);
    for (const x of m.signals) assert.ok(deltaE2000(s.rgb, x.rgb) >= MIN_DELTA_E, `${theme}: series ${s.cls} reads as ${x.name} (ΔE ${deltaE2000(s.rgb, x.rgb).toFixed(1)}): ${palette}`);
  }
  assert.deepEqual(m.unseenBoxes, [], `${theme}: boxes not told from the page`);
  assert.deepEqual(m.cut, [], `${theme}: cut on the right`);
  assert.equal(m.sideways, false, `${theme}: the page scrolls sideways`);
  return m;
}
