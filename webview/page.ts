// The page's frame, built once: title, description, live status, notices, and the two sections
// (a process, a channel) the views fill. Data parts are replaced on updates so inputs keep their
// focus and text.
import css from './styles.css';
import { h } from './dom';

const sheet = new CSSStyleSheet();
sheet.replaceSync(css);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

export const app = document.getElementById('app') ?? document.body.appendChild(h('main'));
export const titleEl = h('h1', { id: 'title' }, 'IPC Inspector');
export const descEl = h('p', { class: 'desc', id: 'description' });
export const statusEl = h('div', { class: 'status', role: 'status' });
export const noticeEl = h('div', { id: 'notices', 'aria-live': 'polite' });
export const procSection = h('section', { id: 'process', hidden: '' });
export const chanSection = h('section', { id: 'channel', hidden: '' });
app.replaceChildren(titleEl, descEl, statusEl, noticeEl, procSection, chanSection);

export function notice(level: 'info' | 'warning' | 'error' | 'ok', text: string): void {
  const n = h('div', { class: `notice ${level}`, role: level === 'error' ? 'alert' : 'status' }, text);
  noticeEl.prepend(n);
  while (noticeEl.childElementCount > 4) noticeEl.lastElementChild?.remove();
}
