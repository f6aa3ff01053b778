// ipcInspector.removeObject: remove a SysV or POSIX object (IPC_RMID / unlink) through the shared
// runner (core/actions/runner.ts), which always asks first — a modal naming the object and the
// processes holding it. Every text goes through the UI door (ui.ts), escaped. Argument: a node or
// channel id; without one (the palette, or a context menu whose row a refresh replaced) it acts on
// the selection when that is removable, else asks which of the removable objects, as Send Signal
// asks which process.
import * as vscode from 'vscode';
import * as fmt from '../core/format';
import { isRemovable, runRemove, type RemoveResult } from '../core/actions';
import { notASemaphore } from '../core/kinds/posixSem';
import { extensionRunnerEnv, reportOutcome } from './actionEnv';
import { ensureSnapshot, pick, resolveChannel, Services } from './services';
import type { Channel } from '../core/model';

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.removeObject', async (arg?: unknown): Promise<RemoveResult | undefined> => {
    let ch = resolveChannel(s, arg);
    if (ch === null) return undefined; // an id naming two channels: said
    if (!ch && typeof arg === 'string') {
      void s.ui.error(`IPC Inspector: no channel ${arg} in the current snapshot (refresh and try again).`);
      return undefined;
    }
    // The palette with nothing removable selected: which object, rather than "select one first".
    if (arg === undefined && (!ch || !isRemovable(ch))) ch = await pickRemovable(s);
    if (!ch) return undefined;
    if (ch.kind === 'posix-sem' && notASemaphore(ch)) {
      void s.ui.error(`IPC Inspector: ${ch.error ?? `sem.${ch.name} is not a semaphore`}: it is not removed as one.`);
      return undefined;
    }
    if (!isRemovable(ch)) {
      void s.ui.error(`IPC Inspector: ${fmt.kindTitle(ch.kind)} objects cannot be removed — close the processes holding them instead.`);
      return undefined;
    }
    const out = await runRemove({ channel: ch, processes: s.model.procs, warnings: s.model.snapshot?.warnings }, await extensionRunnerEnv(s.ui));
    return reportOutcome(s, out, { log: (r, message) => `${message} (${r.action})`, waitForRefresh: true });
  });
}

/** Asks which System V or POSIX object to remove; says so when there is none. */
async function pickRemovable(s: Services): Promise<Channel | undefined> {
  const snapshot = await ensureSnapshot(s);
  const items = snapshot.channels
    .filter(isRemovable)
    .map((ch) => ({ label: fmt.channelLabel(ch, s.model.procs), description: fmt.kindTitle(ch.kind), detail: ch.id, ch }))
    .sort((a, b) => a.description.localeCompare(b.description) || a.label.localeCompare(b.label));
  if (items.length === 0) {
    void s.ui.info('IPC Inspector: there is no SysV or POSIX object to remove.');
    return undefined;
  }
  return (await pick(s, 'Remove which IPC object?', items, { placeHolder: 'search by name, key, id or holder', matchOnDescription: true, matchOnDetail: true }))?.ch;
}
