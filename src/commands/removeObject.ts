// ipcInspector.removeObject: remove a SysV or POSIX object (ipcrm / unlink) through the shared
// runner (core/actions/runner.ts), which always asks first — a modal naming the object and the
// processes holding it. Every text goes through the UI door (ui.ts), escaped. Argument: a node or
// channel id.
import * as vscode from 'vscode';
import * as fmt from '../core/format';
import { isRemovable, runRemove, type RemoveResult } from '../core/actions';
import { notASemaphore } from '../core/kinds/posixSem';
import { extensionRunnerEnv, reportOutcome } from './actionEnv';
import { resolveChannel, Services } from './services';

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.removeObject', async (arg?: unknown): Promise<RemoveResult | undefined> => {
    const ch = resolveChannel(s, arg);
    if (ch === null) return undefined; // an id naming two channels: said
    if (!ch) {
      void s.ui.info('IPC Inspector: select a System V or POSIX object to remove.');
      return undefined;
    }
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
