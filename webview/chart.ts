// The depth-over-time chart: each series of the history (queued messages, bytes, semaphore
// values — the kind's `depth`) as an SVG polyline, built with DOM APIs. A series with a known limit
// (a pipe's capacity, a queue's size) is scaled to it, so its level reads as how full it is and a
// steady 4 KiB in a 64 KiB pipe is not drawn as full; any other to its own maximum.
import { chartFootnote, seriesLegend } from './chartLegend';
import { h } from './dom';
import { page } from './state';

const SVG = 'http://www.w3.org/2000/svg';

export function renderChart(chartEl: HTMLElement): void {
  const hist = page.state.history;
  const names = [...new Set(hist.flatMap((s) => Object.keys(s.values)))].slice(0, 6);
  if (hist.length === 0 || names.length === 0) {
    chartEl.replaceChildren(h('p', { class: 'muted' }, 'No depth to plot for this kind of object.'));
    return;
  }
  const W = 600;
  const H = 100;
  const t0 = hist[0].t;
  const t1 = Math.max(hist[hist.length - 1].t, t0 + 1);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'chart');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  const legend = h('div', { class: 'legend' });
  const labelParts: string[] = [];
  const limits = hist[hist.length - 1].limits ?? {};
  let scaledToLimit = false;
  names.forEach((name, i) => {
    const pts = hist.filter((s) => typeof s.values[name] === 'number');
    // at least 1: the scale of a series that stayed at 0 (the legend says its real maximum)
    const max = Math.max(1, ...pts.map((s) => s.values[name]));
    const limit = typeof limits[name] === 'number' && limits[name] > 0 ? limits[name] : undefined;
    if (limit !== undefined) scaledToLimit = true;
    const top = Math.max(max, limit ?? 0);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('class', `s${i}`);
    line.setAttribute('points', pts.map((s) => `${(((s.t - t0) / (t1 - t0)) * W).toFixed(1)},${(H - 4 - (s.values[name] / top) * (H - 8)).toFixed(1)}`).join(' '));
    svg.appendChild(line);
    const { text, shown, of } = seriesLegend(name, pts.map((s) => s.values[name]), limit);
    legend.append(h('span', {}, h('span', { class: `swatch s${i}` }), text));
    labelParts.push(`${name} now ${shown}${of}`);
  });
  const span = Math.round((t1 - t0) / 1000);
  svg.setAttribute('aria-label', `Depth over the last ${span} s: ${labelParts.join(', ')}`);
  chartEl.replaceChildren(svg, legend, h('div', { class: 'muted' }, chartFootnote(hist.length, span, scaledToLimit)));
}

