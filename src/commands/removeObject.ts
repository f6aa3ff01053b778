// ipcInspector.removeObject: remove a SysV or POSIX object (ipcrm / unlink) after a modal
// confirmation that names the object and the processes holding it. Argument: a node or channel id.
import * as vscode from 'vscode';
import * as fmt from '../core/format';
import { isRemovable, removeObject } from '../core/actions';
import type { Channel } from '../core/model';
import { processLabel } from '../views/nodes';
import { confirm, errorText, resolveChannel, Services } from './services';

function objectName(ch: Channel): string {
  const hex = (k: number) => '0x' + (k >>> 0).toString(16).padStart(8, '0');
  switch (ch.kind) {
    case 'sysv-msg':
      return `System V message queue ${ch.msqid} (key ${hex(ch.key)}, ${ch.messages} message${ch.messages === 1 ? '' : 's'} queued)`;
    case 'sysv-shm':
      return `System V shared memory segment ${ch.shmid} (key ${hex(ch.key)}, ${ch.size} bytes, ${ch.attachCount} attached)`;
    case 'sysv-sem':
      return `System V semaphore set ${ch.semid} (key ${hex(ch.key)}, ${ch.nsems} semaphore${ch.nsems === 1 ? '' : 's'})`;
    case 'posix-mq':
      return `POSIX message queue /${ch.name}`;
    case 'posix-shm':
      return `POSIX shared memory object /${ch.name} (${ch.size} bytes)`;
    case 'posix-sem':
      return `POSIX semaphore /${ch.name}`;
    default:
      return `${fmt.kindTitle(ch.kind)} ${ch.id}`;
  }
}

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.removeObject', async (arg?: unknown) => {
    const ch = resolveChannel(s, arg);
    if (!ch) {
      void vscode.window.showInformationMessage('IPC Inspector: select a System V or POSIX object to remove.');
      return undefined;
    }
    if (!isRemovable(ch)) {
      void vscode.window.showErrorMessage(`IPC Inspector: ${fmt.kindTitle(ch.kind)} objects cannot be removed — close the processes holding them instead.`);
      return undefined;
    }
    const name = fmt.escapeControl(objectName(ch));
    const holders = [...new Set(ch.endpoints.map((e) => e.pid))].map((pid) => processLabel(s.model.procs.get(pid), pid));
    const detail =
      (holders.length ? `Held by: ${holders.slice(0, 15).join(', ')}${holders.length > 15 ? ` and ${holders.length - 15} more` : ''}.` : 'No process holds it open.') +
      '\n\nThis cannot be undone; processes using it may fail.';
    const ok = await confirm(s, `Remove ${name}?`, detail, 'Remove');
    if (!ok) {
      s.log.info(`remove ${ch.id}: cancelled`);
      return undefined;
    }
    try {
      const result = await removeObject(ch);
      s.log.info(`removed ${ch.id}: ${result.action}${result.note ? ` (${result.note})` : ''}`);
      void vscode.window.showInformationMessage(`Removed ${name}${result.note ? ` — ${result.note}` : ''}`);
      await s.source.refresh().catch(() => undefined);
      return result;
    } catch (e) {
      s.log.error(`remove ${ch.id} failed:`, e instanceof Error ? e : String(e));
      void vscode.window.showErrorMessage(`IPC Inspector: could not remove ${name}: ${errorText(e)}`);
      return undefined;
    }
  });
}
