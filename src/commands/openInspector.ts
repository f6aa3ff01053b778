// ipcInspector.openInspector — "Inspect Channel or Process…": the inspector panel on a target
// given as an argument ({channelId} / {pid}, a tree node), or on one picked with the live quick
// pick of goTo.ts; the inspector takes the keyboard focus.
// ipcInspector.inspect — "Inspect", the context menu's entry — and ipcInspector.channels /
// .processes.inspectSelection — what a click, a double-click or Enter on a tree item runs
// (TreeItem.command without arguments, see views/treeChrome.ts: it inspects the view's
// selection). Like the Explorer's preview, they show the one panel beside the tree without
// taking the focus; opening the target the panel already shows (a second click, a double-click,
// Enter again) moves the focus into it.
import * as vscode from 'vscode';
import type { InspectorTarget } from '../snapshotSource';
import { ChannelNode, EndpointNode, ProcessNode, SignalsNode } from '../views/nodes';
import { INSPECT_SELECTION_COMMAND, isInspectable } from '../views/treeChrome';
import { pickChannelOrProcess, targetOf } from './goTo';
import { Services, settledSelection, targetNode } from './services';

/** The inspector target of a tree node or of an explicit {channelId}/{pid} argument. */
export function inspectorTarget(s: Services, arg: unknown): InspectorTarget | undefined {
  if (arg && typeof arg === 'object' && ('channelId' in arg || 'pid' in arg) && !('parent' in arg)) return arg as InspectorTarget;
  const node = targetNode(s, arg);
  if (node instanceof ChannelNode) return { channelId: node.channel.id };
  if (node instanceof EndpointNode) return { channelId: node.channel.id, pid: node.endpoint.pid };
  if (node instanceof ProcessNode) return { pid: node.proc.pid };
  if (node instanceof SignalsNode) return { pid: node.parent.proc.pid };
  return undefined;
}

function sameTarget(a: InspectorTarget | undefined, b: InspectorTarget | undefined): boolean {
  return !!a && !!b && a.channelId === b.channelId && a.pid === b.pid;
}

export function register(s: Services): vscode.Disposable {
  const disposable = vscode.Disposable.from(
    vscode.commands.registerCommand('ipcInspector.openInspector', async (arg?: unknown) => {
      if (!s.inspector) return undefined;
      // from the palette (no argument) it always asks, as its "…" promises, whatever is selected
      let target = arg === undefined ? undefined : inspectorTarget(s, arg);
      if (!target) {
        const entry = await pickChannelOrProcess(s, 'Inspect Channel or Process');
        if (!entry) return undefined;
        target = targetOf(entry);
      }
      s.inspector.open(target);
      return target;
    }),
    vscode.commands.registerCommand('ipcInspector.inspect', (arg?: unknown) => (arg === undefined ? undefined : inspect(inspectorTarget(s, arg)))),
    vscode.commands.registerCommand(INSPECT_SELECTION_COMMAND.channels, () => inspectSelection(s.channelsView)),
    vscode.commands.registerCommand(INSPECT_SELECTION_COMMAND.processes, () => inspectSelection(s.processesView)),
  );
  return disposable;

  async function inspectSelection(view: Pick<vscode.TreeView<unknown>, 'selection'>) {
    // the workbench runs a click's command only with one item selected (services.ts settledSelection)
    await settledSelection(view);
    const selection = view.selection;
    const node = selection.length === 1 ? (selection[0] as Parameters<typeof isInspectable>[0]) : undefined;
    return isInspectable(node) ? inspect(inspectorTarget(s, node)) : undefined;
  }

  /** Preview the target beside; focus the panel when it already shows it. */
  function inspect(target: InspectorTarget | undefined): { target: InspectorTarget; focused: boolean } | undefined {
    if (!target || !s.inspector) return undefined;
    if (sameTarget(s.inspector.visibleTarget(), s.inspector.normalize(target))) {
      s.inspector.focus();
      return { target, focused: true };
    }
    s.inspector.open(target, { preserveFocus: true });
    return { target, focused: false };
  }
}
