// The entry counts of everything core keeps from one snapshot to the next, in the thread that
// calls it (the snapshot worker answers for its own copies of these modules: SnapshotService.
// workerCacheSizes). For the soak bench (bench/soak.ts), which runs the service for hours beside
// processes and objects that come and go: none of these may grow with what is gone. (What a
// caller keeps and passes to each snapshot, as the worker its SocketLookups, it counts itself.)
import { containerCacheSizes } from './containers';
import { stuckCalls } from './deadline';
import { pidnsCacheSize } from './namespaces';
import { sigMaskMemoSize } from './signals';
import { keyLaneCacheSize } from './snapshotDigest';
import { userCacheSizes } from './users';

/** Module-level caches of core, by `module.cache`. */
export function moduleCacheSizes(): Record<string, number> {
  const users = userCacheSizes();
  const out: Record<string, number> = {
    'namespaces.pidns': pidnsCacheSize(),
    'signals.maskMemo': sigMaskMemoSize(),
    'users.files': users.files,
    'users.names': users.names,
    'snapshotDigest.keyLanes': keyLaneCacheSize(),
    'deadline.stuck': stuckCalls(),
  };
  for (const [k, v] of Object.entries(containerCacheSizes())) out[`containers.${k}`] = v;
  return out;
}
