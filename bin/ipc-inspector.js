#!/usr/bin/env node
// Entry point for `npx ipc-inspector`: runs the bundled CLI built by `npm install` (prepare).
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('ipc-inspector: not built yet — run `npm install` (or `npm run build`) in ' + path.dirname(__dirname) + '\n');
  process.exit(2);
}
require(cli);
