// What glibc keeps after a large block is freed, in a process of its own (native.test.ts): loads
// the addon as every walk does (loadNative, which fixes the malloc thresholds unless
// IPC_INSPECTOR_MALLOC=keep), frees an 8 MiB block (which raises glibc's thresholds when they
// are not fixed), then allocates and frees a 4 MiB one. Needs --expose-gc.
//   node --expose-gc dist/test/integration/mallocChild.js
// Prints one JSON line: {"free": bytes held free in the arenas after it all, "fixed": boolean}.
import { loadNative } from '../../src/core/native';
import { gc, settle } from './gcSettle';

async function main(): Promise<void> {
  const addon = loadNative().addon;
  if (!addon || !gc) throw new Error('needs the addon and --expose-gc');
  let big: Buffer | undefined = Buffer.allocUnsafeSlow(8 << 20);
  big.fill(1);
  big = undefined;
  await settle();
  let mid: Buffer | undefined = Buffer.allocUnsafeSlow(4 << 20);
  mid.fill(1);
  mid = undefined;
  await settle();
  process.stdout.write(JSON.stringify({ free: addon.mallocInfo()?.free ?? -1, fixed: process.env.IPC_INSPECTOR_MALLOC !== 'keep' }) + '\n');
}

void main();
