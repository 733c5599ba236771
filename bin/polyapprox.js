#!/usr/bin/env node
'use strict';
// The `polyapprox` command: a shim over dist/cli.js (compiled from lib/cli.ts).
const path = require('path');

const entry = path.join(__dirname, '..', 'dist', 'cli.js');
let cli;
try {
  cli = require(entry);
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes(entry)) {
    process.stderr.write(`polyapprox: ${entry} is missing; build it with \`npm run prepare\` (tsc) in the package directory\n`);
    process.exit(1);
  }
  throw e;
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
