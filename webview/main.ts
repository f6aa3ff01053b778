// The inspector panel UI (runs in the webview, bundled for the browser): wires the modules and
// handles the host's messages. Everything a process controls (names, paths, command lines, queue
// bytes) is inserted as text or as SVG attributes built with DOM APIs — never as HTML — and
// escaped by the page's one door (dom.ts: shown(), setText()). The host does every action and every confirmation; the webview only asks, through the
// typed protocol. Modules: state.ts (persisted state, post), dom.ts, page.ts (the frame),
// problemsView.ts (the diagnosis's problems and chains), processView.ts, channelView.ts,
// chart.ts, peekView.ts + hexView.ts, testDriver.ts.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import { isHostMessage, LIMITS, type UpdateMessage } from '../src/webviews/inspector/protocol';
import { append, button, h, patchChildren, setText } from './dom';
import { byteCount } from '../src/core/text';
import { chanSection, descEl, notice, noticeEl, procSection, statusEl, titleEl } from './page';
import { renderProcess, signalLog, signalResult } from './processView';
import { newDataBar, objectChanged, offsetField, pageButtons, peekFrom, renderChannel } from './channelView';
import { bytesFromBase64, dataBlock } from './hexView';
import { peekOut, receivedOut, renderPeek } from './peekView';
import { report, testDrive } from './testDriver';
import { problemsSection, renderProblems } from './problemsView';
import { HISTORY_MAX, onRerender, page, post, save } from './state';

function render(): void {
  const u = page.lastUpdate;
  if (!u) {
    setText(titleEl, 'IPC Inspector');
    statusEl.replaceChildren('Waiting for the first scan\u2026');
    return report('empty');
  }
  // A gone target has nothing to pause and no time that moves: the status says when it was last
  // seen, as the description does, and stays put.
  const live = u.gone
    ? []
    : [
        u.paused
          ? button('Resume live updates', () => post({ type: 'setLive', live: true }), { icon: 'play', secondary: true, id: 'live-toggle' })
          : button('Pause live updates', () => post({ type: 'setLive', live: false }), { icon: 'debug-pause', secondary: true, id: 'live-toggle' }),
      ];
  const state = u.gone ? `gone${u.last ? ` \u00b7 last seen ${new Date(u.last.at).toLocaleTimeString()}` : ''}` : `${u.paused ? 'paused' : 'live'} \u00b7 updated ${new Date(u.at).toLocaleTimeString()}`;
  // Patched in place: the focus stays on the Pause/Resume button across updates.
  patchChildren(statusEl, [
    ...live,
    // not announced at every scan (the bar is a status region): read when reached
    h('span', { id: 'updated-at', 'aria-live': 'off' }, state),
    ...(u.capabilities.native ? [] : [h('span', { title: u.capabilities.nativeError ?? '', id: 'no-native' }, 'native addon not loaded: peeks and pidfd signals are unavailable')]),
  ]);
  renderProblems(u.gone ? undefined : u.problems);
  if (u.gone) return renderGone(u);
  setGone(false);
  if (u.process) renderProcess(u.process);
  else procSection.hidden = true;
  signalLog.render(u.process ? u.signalLog : undefined);
  if (u.channel) renderChannel(u.channel);
  else chanSection.hidden = true;
  report(u.process ? 'process' : 'channel');
}

/**
 * A target that went: its last view stays, read-only (the host sends it as `last`, never as the
 * live object a peek or a signal acts on), under a title that names it and says when it was last
 * seen. Without a last view (a panel restored onto a target already gone) the id is all there is.
 */
function renderGone(u: UpdateMessage): void {
  const last = u.last;
  const when = (iso: string) => new Date(iso).toLocaleTimeString();
  setGone(true);
  if (last?.process) {
    renderProcess(last.process);
    signalLog.render(undefined);
  } else if (last?.channel) renderChannel(last.channel, true);
  else {
    procSection.hidden = true;
    chanSection.hidden = true;
  }
  const name = titleEl.textContent ?? '';
  if (u.target.pid) setText(titleEl, last?.process ? `${name} has exited` : `Process ${u.target.pid} has exited`);
  else setText(titleEl, last?.channel ? `${name} no longer exists` : `${u.target.channelId ?? ''} no longer exists`);
  // the time it was last seen, not the time of each scan since: the text stays put while it is gone
  const zombie = u.zombie ? 'Its parent has not reaped it yet: a zombie keeps its pid, and nothing else. ' : '';
  setText(descEl, last
    ? `${zombie}Below is how it was when last seen, in the scan of ${when(last.at)}; ${u.target.pid ? 'it can no longer be signalled' : 'it can no longer be peeked'}.`
    : `${zombie}It was not in the scan of ${when(u.at)}.`);
  report('gone');
}

/** A gone target's sections are dimmed and lose their actions (styles.css: `.gone .live-only`). */
function setGone(gone: boolean): void {
  for (const s of [procSection, chanSection]) s.classList.toggle('gone', gone);
}
onRerender(render);
noticeEl.after(problemsSection);

window.addEventListener('message', (ev: MessageEvent) => {
  const m: unknown = ev.data;
  if (!isHostMessage(m)) return;
  switch (m.type) {
    case 'init': {
      page.testMode = m.testMode;
      page.maxBytes = m.maxBytes;
      const same = JSON.stringify(m.target) === JSON.stringify(page.state.target);
      // the same connection under its closed id: its chart and last peek go on
      if (!same && m.continues === true) page.state = { ...page.state, target: m.target };
      else if (!same) {
        page.state = { ...page.state, target: m.target, history: [], offset: 0, startTime: undefined, selected: undefined };
        page.lastPeek = undefined;
        // a peek of the last target still on its way must not render under this one (a target
        // that is not peeked at once — nothing peekable, or a peek that would change it — asks no
        // new peek that would have replaced it)
        page.pendingPeek.clear();
        page.selectedMessage = undefined;
        newDataBar.hidden = true;
        // notices were about the last target ("Process 42 has exited too.")
        noticeEl.replaceChildren();
        peekOut.replaceChildren();
        // the messages received from the last target: their bytes are the host's no longer
        receivedOut.replaceChildren();
        offsetField.value = '0';
        signalResult.replaceChildren();
      }
      save();
      break;
    }
    case 'update': {
      if (JSON.stringify(m.target) !== JSON.stringify(page.state.target)) return;
      page.lastUpdate = m;
      if (m.process && m.process.pid === m.target.pid && page.state.startTime !== m.process.startTime) {
        page.state.startTime = m.process.startTime;
        save();
      }
      if (m.sample) {
        page.state.history.push(m.sample);
        if (page.state.history.length > HISTORY_MAX) page.state.history.splice(0, page.state.history.length - HISTORY_MAX);
        save();
      }
      const key = m.channel ? JSON.stringify(m.sample?.values ?? null) + JSON.stringify(m.channel.channel) : '';
      const changed = key !== page.lastDepthKey;
      page.lastDepthKey = key;
      render();
      if (m.channel && changed) objectChanged();
      break;
    }
    case 'peekResult': {
      if (!page.pendingPeek.has(m.requestId)) return;
      page.pendingPeek.delete(m.requestId);
      if (m.result) {
        page.lastPeek = m.result;
        renderPeek(m.result, peekFrom);
        pageButtons();
      } else if (m.error) {
        peekOut.replaceChildren(h('div', { class: 'notice error', role: 'alert' }, `${m.error.code}: ${m.error.message}`), m.error.hint ? h('div', { class: 'muted' }, `Needed: ${m.error.hint}`) : '');
      }
      report('peek');
      break;
    }
    case 'signalResult': {
      if (!page.pendingSignal.has(m.requestId)) return;
      page.pendingSignal.delete(m.requestId);
      signalResult.replaceChildren(h('div', { class: `notice ${m.ok ? 'ok' : m.cancelled ? 'info' : 'error'}`, role: m.ok ? 'status' : 'alert' }, m.ok ? m.message : m.cancelled ? 'Not sent (cancelled).' : `${m.code ?? 'ERROR'}: ${m.message}`));
      report('signal');
      break;
    }
    case 'mqReceived': {
      // the answer to a receive asked under another target (the panel moved on while its
      // confirmation was open): its bytes belong to that queue, not under this one's title
      const queue = m.channelId;
      if (queue !== page.state.target.channelId) {
        if (m.data !== undefined) notice('info', `One message of ${byteCount(bytesFromBase64(m.data).length)} was received (consumed) from ${queue}, which this panel no longer shows.`);
        report('mqReceived');
        break;
      }
      if (m.cancelled) notice('info', 'Not received (cancelled).');
      else if (m.error) notice('error', `${m.error.code}: ${m.error.message}`);
      else if (m.data !== undefined) {
        const bytes = bytesFromBase64(m.data);
        const key = `received-${m.requestId}`;
        // sent again to a webview made anew: shown once
        if (m.again && receivedOut.querySelector(`[data-key="${key}"]`)) break;
        const box = h('div', { class: 'message received', 'data-key': key }, h('header', {}, h('strong', {}, 'Received (removed from the queue)'), h('span', {}, `priority ${m.priority ?? '?'}`), h('span', {}, byteCount(bytes.length))));
        append(box, dataBlock(queue, bytes, 0, undefined, m.requestId));
        receivedOut.append(box);
        // the host keeps the newest LIMITS.received: an older one's Copy and Save would do nothing
        while (receivedOut.children.length > LIMITS.received) {
          receivedOut.firstElementChild?.remove();
          notice('info', `The oldest message received is no longer shown: the panel keeps the last ${LIMITS.received}.`);
        }
      }
      report('mqReceived');
      break;
    }
    case 'notice':
      notice(m.level, m.message);
      break;
    case 'testDrive':
      testDrive(m);
      break;
  }
});

render();
post({ type: 'ready' });
