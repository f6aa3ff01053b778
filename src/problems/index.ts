// Entry point of the diagnosis in the editor (issue 12): the Problems view in the IPC Inspector
// container with its badge and message, the problem markers on the Channels and Processes items,
// the status bar's problem count, and the view's commands. The rules themselves run in the scan
// worker (SnapshotService `diagnose`, setting ipcInspector.diagnose); the poller's updates carry
// their result, which ProblemsModel holds. extension.ts calls registerProblems once; everything
// it creates is returned as one disposable.
import * as vscode from 'vscode';
import type { Services } from '../commands/services';
import type { StatusBar } from '../statusBar';
import type { ViewChrome } from '../views/viewChrome';
import type { TreeChrome } from '../views/treeChrome';
import { registerProblemActions } from './problemActions';
import type { ProblemsModel } from './problemsModel';
import { ProblemsTree, type ProblemsTreeNode } from './problemsTree';
import { ProblemMarks } from './treeMarks';
import { RenewingTreeView } from '../views/renewingTreeView';
import { plural } from '../core/text';

export { ProblemsModel } from './problemsModel';
export { ProblemsTree } from './problemsTree';

export const PROBLEMS_VIEW_ID = 'ipcInspector.problems';
export const DIAGNOSE_SETTING = 'ipcInspector.diagnose';

export interface ProblemsRegistration {
  problems: ProblemsModel;
  problemsTree: ProblemsTree;
  problemsView: vscode.TreeView<ProblemsTreeNode>;
  marks: ProblemMarks;
  disposable: vscode.Disposable;
}

export interface ProblemsDeps {
  services: Services;
  problems: ProblemsModel;
  channelsChrome: TreeChrome;
  processesChrome: TreeChrome;
  statusBar: StatusBar;
  /** Its host line ("Debian … · kernel … · 2 CPUs"): with the diagnosis on, the container's badge is this view's, so the host is in its tooltip. */
  viewChrome: Pick<ViewChrome, 'hostLine' | 'onDidChangeHost'>;
  /** Is the host supported (Linux /proc)? */
  supported: boolean;
}

export function registerProblems(d: ProblemsDeps): ProblemsRegistration {
  const s = d.services;
  const problems = d.problems;
  const problemsTree = new ProblemsTree(problems, s.model);
  const problemsView = new RenewingTreeView<ProblemsTreeNode>(PROBLEMS_VIEW_ID, { treeDataProvider: problemsTree });
  const marks = new ProblemMarks(problems, {
    channelNode: (id) => s.channelsTree.findChannel(id),
    processNode: (pid) => s.processesTree.findProcess(pid),
  });
  const last = new Map<string, string>();
  const setOnce = (key: string, value: string, apply: () => void) => {
    if (last.get(key) === value) return;
    last.set(key, value);
    apply();
  };
  const render = () => {
    const c = problems.counts();
    const n = c.error + c.warning;
    const tooltip = `${plural(c.error, 'error')}, ${plural(c.warning, 'warning')}, ${c.info.toLocaleString('en-US')} info`;
    const host = d.viewChrome.hostLine;
    const badge: vscode.ViewBadge | undefined = n > 0 ? { value: n, tooltip: `IPC problems: ${tooltip}${host ? ` — ${host}` : ''}` } : undefined;
    setOnce('badge', badge ? `${badge.value}\n${badge.tooltip}` : '', () => (problemsView.badge = badge));
    let message = '';
    if (!problems.enabled()) message = 'The diagnosis is off (setting ipcInspector.diagnose): no problems are looked for.';
    else if (!problems.diagnosis) message = '';
    // (not "n of all": that total moves with every refresh on a busy machine, and each change re-lays out the side bar)
    else if (problems.narrowed) message = `${plural(problems.shown.length, 'problem')} about what the filter or scope lets through`;
    else if (problems.shown.length === 0) message = 'No problems found: every channel in view looks healthy.';
    setOnce('message', message, () => (problemsView.message = message || undefined));
  };
  const disposable = vscode.Disposable.from(
    problemsTree,
    problemsView,
    marks,
    d.channelsChrome.addDecorator(marks),
    d.processesChrome.addDecorator(marks),
    d.statusBar.setProblems(problems),
    problems.onDidChange(render),
    d.viewChrome.onDidChangeHost(render),
    registerProblemActions(s, { problems, problemsTree, problemsView }),
    problemsView.onDidChangeVisibility((e) => {
      if (d.supported) s.source.setVisible(PROBLEMS_VIEW_ID, e.visible);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(DIAGNOSE_SETTING)) return;
      // the diagnosis runs in the scan worker, which is created with the setting: start a new one
      s.source.recreateService();
      if (!problems.enabled()) problems.set(undefined, true);
      render();
    }),
  );
  if (problemsView.visible && d.supported) s.source.setVisible(PROBLEMS_VIEW_ID, true);
  render();
  return { problems, problemsTree, problemsView, marks, disposable };
}
