// The addon's page pool in a process of its own (native.test.ts): loads the addon as every walk
// does (loadNative, which sets the pool's limit: PAGE_POOL_BYTES, or IPC_INSPECTOR_PAGE_POOL_MB),
// then runs two Unix sock_diag dumps — each receives into a 256 KiB buffer of its own pages — and
// lowers the limit to one page.
//   node dist/test/integration/pagePoolChild.js
// Prints one JSON line: the pool after the first dump, after the second, and after the lowering.
import { loadNative } from '../../src/core/native';

async function main(): Promise<void> {
  const addon = loadNative().addon;
  if (!addon?.pagePool) throw new Error('needs an addon with pagePool');
  await addon.unixDiag();
  const first = addon.pagePool();
  await addon.unixDiag();
  const second = addon.pagePool();
  const lowered = addon.pagePool(4096);
  process.stdout.write(JSON.stringify({ first, second, lowered }) + '\n');
}

void main();
