// Links bin/ipc-inspector.js as node_modules/.bin/ipc-inspector (run by `npm install`, postinstall),
// which is what makes the README's `npx ipc-inspector …` in a checkout fast. npx runs a command it
// finds in ./node_modules/.bin directly (~0.5 s). A package's own "bin" entry would instead make
// npx install the checkout into npm's npx cache and load both dependency trees on every call
// (~1.9 s), re-running the install and prepare scripts whenever that cache is new or stale
// (a full native + bundle rebuild). So package.json declares no "bin".
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const link = path.join(root, 'node_modules', '.bin', 'ipc-inspector');
const target = path.join('..', '..', 'bin', 'ipc-inspector.js');
fs.mkdirSync(path.dirname(link), { recursive: true });
let current = null;
try {
  current = fs.readlinkSync(link);
} catch {
  /* missing, or not a symlink */
}
if (current !== target) {
  fs.rmSync(link, { force: true });
  fs.symlinkSync(target, link);
}
