#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=1
// Entry point for `npx ipc-inspector`: runs the bundled CLI built by `npm install` (prepare).
// The shebang caps what a one-shot snapshot keeps resident (measured at 50k fds, `snapshot --json`:
// ~120 MiB with V8's 16 MiB semi-spaces and glibc's per-thread malloc arenas, ~80 MiB with these),
// at no measurable cost in time: the snapshot's objects live until the end anyway.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('ipc-inspector: not built yet — run `npm install` (or `npm run build`) in ' + path.dirname(__dirname) + '\n');
  process.exit(2);
}
require(cli);
