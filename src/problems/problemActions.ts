// The Problems view's commands:
// - ipcInspector.problems.openSelection (a click, Enter): reveal the problem's object (its first
//   channel the Channels view lists, else its first process) in its tree and open the inspector
//   on it beside, without taking the focus — or the object clicked under a problem;
// - ipcInspector.problems.reveal: the same from the context menu (argument: the node);
// - ipcInspector.problems.remove: a leftover's Remove — a channel through the shared runner and
//   its confirmation (core/actions/runner.ts, the same as ipcInspector.removeObject), a stale
//   socket file after the same modal, then core/diagnose/removeFile.ts (exactly the inode seen);
// - ipcInspector.problems.signal: the signal a rule offers (SIGCONT to a stopped consumer, SIGTERM
//   to one side of a deadlock) through the shared policy and runner, bound to the start time the
//   diagnosis saw; a recycled pid is refused.
// Everything shown goes through the UI door (ui.ts), escaped.

import * as vscode from 'vscode';
import { runRemove, runSignal } from '../core/actions';
import { messageOf } from '../core/actions/errors';
import { offeredSignalReason } from '../core/actions/policy';
import { processLabel } from '../core/format';
import { stillRunning } from '../core/actions/signal';
import type { FileTarget, Problem, ProblemAction } from '../core/diagnose/problem';
import { removeSocketFile } from '../core/diagnose/removeFile';
import { extensionRunnerEnv, reportOutcome } from '../commands/actionEnv';
import type { Services } from '../commands/services';
import { revealSelected } from '../commands/goTo';
import type { InspectorTarget } from '../snapshotSource';
import type { IpcNode } from '../views/nodes';
import type { ProblemsModel } from './problemsModel';
import { OPEN_PROBLEM_SELECTION_COMMAND, type ProblemsTree, type ProblemsTreeNode } from './problemsTree';

export interface ProblemParts {
  problems: ProblemsModel;
  problemsTree: ProblemsTree;
  problemsView: vscode.TreeView<ProblemsTreeNode>;
}

type RemoveAction = Extract<ProblemAction, { kind: 'remove' }>;
type SignalAction = Extract<ProblemAction, { kind: 'signal' }>;

/** What happened, for the commands' callers (tests). */
export type ProblemActionResult = { status: 'done' | 'cancelled' | 'failed' | 'none'; message: string };

export function registerProblemActions(s: Services, parts: ProblemParts): vscode.Disposable {
  const problemOf = (arg: unknown): Problem | undefined => {
    if (typeof arg === 'string') return parts.problems.byId.get(arg);
    const node = (arg ?? parts.problemsView.selection[0]) as ProblemsTreeNode | undefined;
    if (!node || typeof node !== 'object') return undefined;
    if (node.type === 'problem') return parts.problems.byId.get(node.problem.id) ?? node.problem;
    if (node.type === 'object') return parts.problems.byId.get(node.parent.problem.id) ?? node.parent.problem;
    return undefined;
  };

  /**
   * Reveals a target in its tree (selects it, keeps the focus where it is) as Go To does, and keeps
   * it in view while refreshes add rows above it; the node or undefined when not listed.
   */
  const revealTarget = (t: InspectorTarget): Promise<IpcNode | undefined> =>
    t.channelId !== undefined
      ? revealSelected(s, s.channelsKeeper, () => s.channelsTree.findChannel(t.channelId!), false)
      : revealSelected(s, s.processesKeeper, () => (t.pid !== undefined ? s.processesTree.findProcess(t.pid) : undefined), false);

  /** The object a problem is best shown by: a channel the trees list, else a listed process, else the first one named. */
  const primaryTarget = (p: Problem): InspectorTarget | undefined => {
    for (const id of p.channels) if (s.channelsTree.findChannel(id)) return { channelId: id };
    for (const pid of p.pids) if (s.processesTree.findProcess(pid)) return { pid };
    if (p.channels.length) return { channelId: p.channels[0] };
    if (p.pids.length) return { pid: p.pids[0] };
    return undefined;
  };

  const open = async (arg: unknown): Promise<{ target: InspectorTarget; revealed: boolean } | undefined> => {
    const node = (arg ?? parts.problemsView.selection[0]) as ProblemsTreeNode | undefined;
    let target: InspectorTarget | undefined;
    if (node && typeof node === 'object' && node.type === 'object') target = { ...node.target };
    else {
      const p = problemOf(arg);
      if (!p) return undefined;
      target = primaryTarget(p);
    }
    if (!target) return undefined;
    const revealed = !!(await revealTarget(target));
    s.inspector?.open(target, { preserveFocus: true });
    return { target, revealed };
  };

  const refresh = () => s.source.refresh().then(undefined, () => undefined);

  const removeFile = async (file: FileTarget): Promise<ProblemActionResult> => {
    const ok = await s.ui.confirm({
      title: `Remove the socket file ${file.path}?`,
      detail: [
        'No process is bound to it: a connect() to it gets ECONNREFUSED. Removing it lets the service bind the path again.',
        `Only this file is removed (inode ${file.inode} on ${file.dev}); if the path now names another file, nothing is removed.`,
        'This cannot be undone.',
      ].join('\n'),
      action: 'Remove',
    });
    if (!ok) {
      s.log.info(`remove ${file.path}: cancelled`);
      return { status: 'cancelled', message: `remove ${file.path}: cancelled` };
    }
    try {
      const r = removeSocketFile(file);
      s.log.info(`removed the socket file ${r.path} (${r.action})`);
      void s.ui.info(`Removed the socket file ${r.path}`);
      await refresh();
      return { status: 'done', message: `Removed ${r.path}` };
    } catch (e) {
      const message = `could not remove ${file.path}: ${messageOf(e)}`;
      s.log.error(message);
      void s.ui.error(`IPC Inspector: ${message}`);
      return { status: 'failed', message };
    }
  };

  const remove = async (arg: unknown): Promise<ProblemActionResult> => {
    const p = problemOf(arg);
    const a = p?.actions.find((x): x is RemoveAction => x.kind === 'remove');
    if (!p || !a) return { status: 'none', message: 'this problem offers no Remove' };
    if (a.file) return removeFile(a.file);
    const ch = a.channel !== undefined ? s.model.channelsById.get(a.channel) : undefined;
    if (!ch) {
      void s.ui.info('IPC Inspector: that object is gone already.');
      await refresh(); // the problem is stale: its row goes now, not at the next poll
      return { status: 'none', message: 'gone' };
    }
    const out = await runRemove({ channel: ch, processes: s.model.procs, warnings: s.model.snapshot?.warnings }, await extensionRunnerEnv(s.ui));
    // reported as the Remove command reports it (commands/removeObject.ts)
    await reportOutcome(s, out, { log: (r, message) => `${message} (${r.action})`, waitForRefresh: true });
    return { status: out.status, message: out.message };
  };

  const signal = async (arg: unknown, which?: unknown): Promise<ProblemActionResult> => {
    const p = problemOf(arg);
    const offered = p?.actions.filter((x): x is SignalAction => x.kind === 'signal') ?? [];
    if (!p || !offered.length) return { status: 'none', message: 'this problem offers no signal' };
    let a: SignalAction | undefined = offered.length === 1 ? offered[0] : undefined;
    if (typeof which === 'number') a = offered[which];
    if (!a) {
      const picked = await s.ui.pick(
        'Send which signal?',
        offered.map((x) => ({ label: x.label, action: x })),
        { placeHolder: 'The diagnosis offers these; the signal policy may still ask' },
      );
      a = picked?.action;
    }
    if (!a) return { status: 'cancelled', message: 'no signal chosen' };
    const proc = s.model.procs.get(a.pid);
    // the process the diagnosis saw is gone: the problem is stale, not the action failed — say so
    // and refresh, so the row goes now rather than at the next poll
    const exited = async (who: string) => {
      const message = `${who} has exited since the diagnosis (or its pid was reused): nothing sent`;
      s.log.info(message);
      void s.ui.info(`IPC Inspector: ${message}`);
      await refresh();
      return { status: 'none' as const, message };
    };
    if (!proc || proc.startTime !== a.startTime) return exited(`process ${a.pid}`);
    // the view may be a scan old: no question about a process that is no more
    if (!(await stillRunning(a.pid, a.startTime))) return exited(processLabel(proc.pid, proc));
    // one click on the inline button: a signal that ends or stops the process is asked for first
    const ask = offeredSignalReason(a.signal, a.why);
    const out = await runSignal({ process: proc, signal: a.signal, startTime: a.startTime, ...(ask ? { ask } : {}) }, await extensionRunnerEnv(s.ui));
    if (out.status === 'done') {
      s.log.info(out.message);
      void s.ui.info(out.message);
      await refresh();
    } else if (out.status === 'failed' && (out.error.code === 'ESRCH' || out.error.code === 'ESTALE')) {
      return exited(processLabel(proc.pid, proc));
    } else if (out.status === 'failed') {
      s.log.warn(out.message);
      void s.ui.error(`IPC Inspector: ${out.message}`);
    } else s.log.info(out.message);
    return { status: out.status, message: out.message };
  };

  return vscode.Disposable.from(
    vscode.commands.registerCommand(OPEN_PROBLEM_SELECTION_COMMAND, () => open(undefined)),
    vscode.commands.registerCommand('ipcInspector.problems.reveal', (arg?: unknown) => open(arg)),
    vscode.commands.registerCommand('ipcInspector.problems.remove', (arg?: unknown) => remove(arg)),
    vscode.commands.registerCommand('ipcInspector.problems.signal', (arg?: unknown, which?: unknown) => signal(arg, which)),
  );
}
