#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled to dist/ by `npm ci` (the package's prepare script).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('netwarden: not built yet; run `npm ci` (or `npm run build`) in ' + path.dirname(__dirname) + '\n');
  process.exit(2);
}
require(entry).run(process.argv);
