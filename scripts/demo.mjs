// `npm run demo`: bundles demo/main.ts (with fixtures/ipcFixture.ts) into dist/demo/main.js
// and runs it in the foreground. Ctrl-C (or SIGTERM) stops it and removes every demo object.
// Prints IPC-DEMO-READY once everything exists (scripts/start.mjs waits for that line).
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist/demo/main.js');
await esbuild.build({
  entryPoints: [path.join(root, 'demo/main.ts')],
  outfile: out,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
});
const child = spawn(process.execPath, [out], { stdio: 'inherit' });
// The demo handles SIGINT/SIGTERM itself (cleanup); forward them and wait for it.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, sig) => process.exit(code ?? (sig ? 1 : 0)));
