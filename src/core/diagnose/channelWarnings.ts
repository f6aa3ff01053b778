// The at-a-glance warnings of one channel (a warning icon in the tree, the status bar's count):
// what its kind's descriptor says is wrong right now — a full pipe or queue whose writers block,
// processes waiting on a semaphore set, an orphaned segment. The rules of this directory explain
// the same conditions at length, with evidence, across refreshes; these need one snapshot only.
import type { Channel } from '../model';
import { describe } from '../kinds';

export function channelWarnings(ch: Channel): string[] {
  return describe(ch).warnings(ch);
}
