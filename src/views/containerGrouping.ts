// Group the Processes view by container (setting `ipcInspector.groupProcesses` = `container`):
// one top-level bucket per container (name, runtime, short id; the pod when Kubernetes made it),
// and "Host" for processes in no container. Inside a bucket processes nest under their nearest
// listed ancestor in the same container, so a container's init is not hidden under the host's
// conmon/containerd-shim. Pure (no vscode): the tree turns buckets into BucketNodes.
// The shapes follow the grouping strategies of views/processGrouping.ts (roots: buckets,
// children(pid)) so this can join that table as one more entry.
import type { ContainerInfo, ProcessInfo } from '../core/model';
import { CAPS, shortText } from '../core/text';
import type { GroupingInput, ProcessBucket, ProcessPlacement } from './processGrouping';

// The shapes are the grouping strategies' own (type-only import: no runtime cycle with the table
// that lists this grouping).
export type { GroupingInput, ProcessBucket, ProcessPlacement } from './processGrouping';

export const HOST_BUCKET = 'host';

export function containerKey(c: ContainerInfo | null | undefined): string {
  return c ? `${c.runtime}:${c.id}` : HOST_BUCKET;
}

const byPid = (a: ProcessInfo, b: ProcessInfo) => a.pid - b.pid;

function bucketFor(c: ContainerInfo | null | undefined, members: ProcessInfo[]): Omit<ProcessBucket, 'pids'> {
  if (!c) return { id: HOST_BUCKET, label: 'Host', description: 'no container', icon: 'vm', tooltip: 'Processes in no container (the host’s cgroups).' };
  // names, ids and the cgroup path are the runtime's (a rootless one's: its user's text): escaped and bounded here, so the tooltip's lines are ours
  const shortId = shortText(c.id.length > 12 && /^[0-9a-f]+$/.test(c.id) ? c.id.slice(0, 12) : c.id, 64);
  const name = c.name !== null ? shortText(c.name, CAPS.name) : shortId;
  const pod = c.pod ? `pod ${c.pod.namespace ? `${shortText(c.pod.namespace, 64)}/` : ''}${shortText(c.pod.name ?? c.pod.uid, CAPS.name)}` : '';
  const netns = [...new Set(members.map((p) => p.netns).filter((n): n is string => !!n))];
  return {
    id: containerKey(c),
    label: name,
    description: [c.runtime, name === shortId ? '' : shortId, pod].filter(Boolean).join(' · '),
    icon: 'package',
    tooltip: [
      `${c.runtime} container ${name}`,
      `id: ${shortText(c.id, 128)}`,
      ...(pod ? [pod] : []),
      ...(c.rootlessUid !== null ? [`rootless: uid ${c.rootlessUid}`] : []),
      `network namespace: ${shortText(netns.join(', '), 500) || 'unknown'}`,
      `cgroup: ${shortText(c.cgroup, 500)}`,
    ].join('\n'),
  };
}

export const containerGrouping = {
  id: 'container',
  arrange({ listed, procs }: GroupingInput): ProcessPlacement {
    const shown = new Map(listed.map((p) => [p.pid, p]));
    const kids = new Map<number, number[]>();
    const tops = new Map<string, ProcessInfo[]>();
    const members = new Map<string, ProcessInfo[]>();
    const info = new Map<string, ContainerInfo | null>();
    for (const p of [...listed].sort(byPid)) {
      const key = containerKey(p.container);
      if (!info.has(key)) info.set(key, p.container ?? null);
      members.set(key, [...(members.get(key) ?? []), p]);
      // nearest listed ancestor, only within the same container (guard ppid cycles)
      let parent = p.ppid;
      const seen = new Set<number>([p.pid]);
      while (parent && !shown.has(parent) && procs.has(parent) && !seen.has(parent)) {
        seen.add(parent);
        parent = procs.get(parent)!.ppid;
      }
      const up = shown.get(parent);
      if (up && parent !== p.pid && containerKey(up.container) === key) kids.set(parent, [...(kids.get(parent) ?? []), p.pid]);
      else tops.set(key, [...(tops.get(key) ?? []), p]);
    }
    // containers by label, Host last
    const keys = [...tops.keys()].sort((a, b) => (a === HOST_BUCKET ? 1 : b === HOST_BUCKET ? -1 : 0) || bucketFor(info.get(a), []).label.localeCompare(bucketFor(info.get(b), []).label));
    const roots: ProcessBucket[] = keys.map((k) => ({ ...bucketFor(info.get(k), members.get(k) ?? []), pids: tops.get(k)!.map((p) => p.pid) }));
    return { roots, children: (pid) => kids.get(pid) ?? [] };
  },
};
