// ipcInspector.removeObject: remove a SysV or POSIX object (ipcrm / unlink) through the shared
// runner (core/actions/runner.ts), which always asks first — a modal naming the object and the
// processes holding it. Every text goes through the UI door (ui.ts), escaped. Argument: a node or
// channel id.
import * as vscode from 'vscode';
import * as fmt from '../core/format';
import { isRemovable, runRemove, type RemoveResult } from '../core/actions';
import { extensionRunnerEnv } from './actionEnv';
import { resolveChannel, Services } from './services';

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.removeObject', async (arg?: unknown): Promise<RemoveResult | undefined> => {
    const ch = resolveChannel(s, arg);
    if (!ch) {
      void s.ui.info('IPC Inspector: select a System V or POSIX object to remove.');
      return undefined;
    }
    if (!isRemovable(ch)) {
      void s.ui.error(`IPC Inspector: ${fmt.kindTitle(ch.kind)} objects cannot be removed — close the processes holding them instead.`);
      return undefined;
    }
    const out = await runRemove({ channel: ch, processes: s.model.procs }, await extensionRunnerEnv(s.ui));
    switch (out.status) {
      case 'cancelled':
        s.log.info(out.message);
        return undefined;
      case 'failed':
        s.log.error(out.message);
        void s.ui.error(`IPC Inspector: ${out.message}`);
        return undefined;
      case 'done':
        s.log.info(`${out.message} (${out.result.action})`);
        void s.ui.info(out.message);
        await s.source.refresh().catch(() => undefined);
        return out.result;
    }
  });
}
