// Test mode only: report what was rendered (as text) so the extension tests can read the panel,
// and drive the page's own controls when the host asks (testDrive).
import type { HostMessage } from '../src/webviews/inspector/protocol';
import { chanFacts, holdersEl, peekButton } from './channelView';
import { descEl, noticeEl, statusEl, titleEl } from './page';
import { peekOut, receivedOut } from './peekView';
import { driveSignal, signalFormText, signalHintText, typeSignal, procChannels, procFacts, signalLog, signalResult, signalTable } from './processView';
import { page, post } from './state';
import { problemTexts } from './problemsView';

export function report(view: string): void {
  if (!page.testMode) return;
  const texts: string[] = [`title:${titleEl.textContent ?? ''}`];
  // The message table: `message:INDEX:#INDEX|TYPE|SIZE|PREVIEW`; the selected one's text and hex.
  for (const tr of peekOut.querySelectorAll('tr.message-row')) {
    const i = tr.getAttribute('data-index') ?? '';
    const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '');
    texts.push(`message:${i}:${cells.join('|')}${tr.getAttribute('aria-selected') === 'true' ? ':selected' : ''}`);
  }
  const detail = peekOut.querySelector('#message-detail');
  if (detail) {
    texts.push(`selectedText:${detail.querySelector('pre.text')?.textContent ?? ''}`);
    texts.push(`hexViews:${peekOut.querySelectorAll('.hex').length}`);
    texts.push(`toolbars:${peekOut.querySelectorAll('[role=toolbar]').length}`);
  }
  const active = document.activeElement;
  texts.push(`focus:${active && active !== document.body ? active.id || active.tagName : ''}`);
  texts.push(`newData:${document.getElementById('new-data')?.hidden === false ? 'shown' : 'hidden'}`);
  // the actions a person can see (laid out: not hidden, not in a hidden or gone section)
  texts.push(`actions:${['peek-button', 'send-signal', 'receive-mq', 'offset-input'].filter((id) => (document.getElementById(id)?.getClientRects().length ?? 0) > 0).join(',')}`);
  texts.push(`description:${descEl.textContent ?? ''}`);
  texts.push(`savedStart:${page.state.startTime ?? ''}`);
  texts.push(`signalForm:${signalFormText()}`);
  texts.push(`signalHint:${signalHintText()}`);
  texts.push(`history:${page.state.history.length}`);
  // the depth chart: its legend, and where each line ends (0 is the top, 100 the bottom)
  const chart = document.getElementById('chart');
  if (chart) {
    for (const s of chart.querySelectorAll('.legend > span')) texts.push(`chartLegend:${s.textContent ?? ''}`);
    chart.querySelectorAll('polyline').forEach((l, i) => texts.push(`chartEndY:${i}=${(l.getAttribute('points') ?? '').trim().split(' ').pop()?.split(',')[1] ?? ''}`));
  }
  texts.push(`status:${[...statusEl.children].map((c) => (c.id === 'live-toggle' ? `[${c.textContent?.trim() ?? ''}]` : (c.textContent ?? ''))).join(' ')}`);
  const noPeek = document.getElementById('no-peek');
  if (noPeek && !noPeek.hidden) texts.push(`noPeek:${noPeek.textContent ?? ''}`);
  const alters = document.getElementById('peek-alters');
  if (alters && !alters.hidden) texts.push(`peekAlters:${alters.textContent ?? ''}`);
  // a page of bytes shown as text (a pipe, FIFO, socket or shared memory peek)
  for (const pre of peekOut.querySelectorAll('pre.text')) if (!pre.closest('#message-detail, .received')) texts.push(`peekText:${pre.textContent ?? ''}`);
  for (const r of receivedOut.querySelectorAll('.received')) texts.push(`received:${r.querySelector('header')?.textContent ?? ''}:${r.querySelector('pre.text')?.textContent ?? ''}`);
  for (const n of noticeEl.querySelectorAll('.notice')) texts.push(`notice:${n.textContent ?? ''}`);
  for (const n of peekOut.querySelectorAll('.notice')) texts.push(`peekNotice:${n.textContent ?? ''}`);
  for (const tr of peekOut.querySelectorAll('#peek-facts tr')) texts.push(`peekFact:${tr.querySelector('th')?.textContent ?? ''}=${tr.querySelector('td')?.textContent ?? ''}`);
  for (const tr of peekOut.querySelectorAll('#mq-attributes tr')) texts.push(`mqAttr:${tr.querySelector('th')?.textContent ?? ''}=${tr.querySelector('td')?.textContent ?? ''}`);
  for (const tr of peekOut.querySelectorAll('#semaphores tbody tr')) texts.push(`sem:${[...tr.querySelectorAll('td')].map((td) => td.textContent ?? '').join('|')}:${tr.querySelectorAll('button.link').length} link`);
  // a page of bytes: its range line, and the offsets of the hex view's first and last rows
  for (const id of ['peek-head', 'peek-empty']) {
    const el = peekOut.querySelector(`#${id}`);
    if (el) texts.push(`${id}:${el.textContent ?? ''}`);
  }
  const range = peekOut.querySelector('#peek-range');
  if (range) texts.push(`peekRange:${range.textContent ?? ''}`);
  const offs = [...peekOut.querySelectorAll('.hex .off')].map((o) => o.textContent ?? '').filter((t) => /^[0-9a-f]+$/.test(t));
  if (offs.length) texts.push(`hexRows:${offs[0]}-${offs[offs.length - 1]}`);
  const firstRow = peekOut.querySelector('.hex .off + span');
  if (offs.length && firstRow) texts.push(`hexFirst:${firstRow.textContent?.trim() ?? ''}`);
  for (const more of peekOut.querySelectorAll('.hex .off + span')) if (/more bytes? not shown/.test(more.textContent ?? '')) texts.push(`hexMore:${more.textContent ?? ''}`);
  // a SysV queue's pages: each button, `-off` when disabled
  const pages = peekOut.querySelector('#message-pages');
  if (pages) texts.push(`messagePages:${[...pages.children].map((b) => `${b.id}${b.hasAttribute('disabled') ? '-off' : ''}`).join(',')}`);
  // the byte pages (shared memory, pipes, sockets): each button, `-off` when disabled, and what paging means here
  const nav = document.getElementById('offset-nav');
  if (nav && !nav.hidden) texts.push(`offsetPages:${[...nav.querySelectorAll('vscode-button[id]')].map((b) => `${b.id}${b.hasAttribute('disabled') ? '-off' : ''}`).join(',')}`);
  const pagedNote = document.getElementById('paged-note');
  if (pagedNote && !pagedNote.hidden) texts.push(`pagedNote:${pagedNote.textContent ?? ''}`);
  const counters = peekOut.querySelector('#counters');
  if (counters) texts.push(`counters:${counters.textContent ?? ''}`);
  const sr = signalResult.textContent;
  if (sr) texts.push(`signalResult:${sr}`);
  for (const tr of chanFacts.querySelectorAll('tr')) texts.push(`fact:${tr.querySelector('th')?.textContent ?? ''}=${tr.querySelector('td')?.textContent ?? ''}`);
  for (const tr of procFacts.querySelectorAll('tr')) texts.push(`procFact:${tr.querySelector('th')?.textContent ?? ''}=${tr.querySelector('td')?.textContent ?? ''}`);
  for (const tr of holdersEl.querySelectorAll('tbody tr')) texts.push(`holder:${tr.textContent ?? ''}`);
  for (const tr of procChannels.querySelectorAll('tbody tr')) texts.push(`procChannel:${[...tr.querySelectorAll('td')].map((td) => td.textContent ?? '').join('|')}`);
  texts.push(`signals:${signalTable.querySelectorAll('tbody tr').length}`);
  texts.push(...signalLog.texts());
  texts.push(...problemTexts());
  for (const th of signalTable.querySelectorAll('thead th')) texts.push(`signalColumn:${th.textContent ?? ''}`);
  for (const tr of signalTable.querySelectorAll('tbody tr')) {
    const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '');
    if (cells.slice(2).some((c) => c && c !== '\u2013')) texts.push(`signalRow:${cells.slice(0, -3).join('|')}`);
  }
  post({
    type: 'rendered',
    view,
    texts: texts.slice(0, 2000).map((t) => t.slice(0, 100000)),
    elementCount: document.querySelectorAll('*').length,
    imgCount: document.querySelectorAll('img, iframe, object, embed').length,
    scriptCount: document.querySelectorAll('script').length,
  });
}

export function testDrive(m: Extract<HostMessage, { type: 'testDrive' }>): void {
  if (!page.testMode) return;
  if (m.action === 'sendSignal') driveSignal(m.signal ?? '', m.value ?? '');
  else if (m.action === 'peek') peekButton.click();
  else if (m.action === 'receiveMq') document.getElementById('receive-mq')?.click();
  else if (m.action === 'copyReceived') ([...receivedOut.querySelectorAll('.received [title="Copy as text"]')].pop() as HTMLElement | undefined)?.click();
  else if (m.action === 'typeSignal') typeSignal(m.signal ?? '');
  else if (m.action === 'click' && m.id) document.getElementById(m.id)?.click();
  else if (m.action === 'openPeer') document.getElementById('fact-peer-link')?.click();
  else if (m.action === 'focusHolder') (holdersEl.querySelector('button.link') as HTMLElement | null)?.focus();
  else if (m.action === 'selectMessage') (peekOut.querySelector(`tr.message-row[data-index="${Number(m.index)}"]`) as HTMLElement | null)?.click();
  if (m.action === 'focusHolder' || m.action === 'selectMessage' || m.action === 'typeSignal') report(m.action);
  else if (m.action === 'report') report('report');
}
