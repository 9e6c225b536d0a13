#!/usr/bin/env node
'use strict';
// Runs the compiled CLI when the package is built (dist/), or the TypeScript sources in a checkout.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const compiled = join(__dirname, '..', 'dist', 'adapters', 'cli', 'main.js');
if (existsSync(compiled)) {
  require(compiled);
} else {
  require('ts-node').register({ transpileOnly: true, project: join(__dirname, '..', 'tsconfig.json') });
  require(join(__dirname, '..', 'src', 'adapters', 'cli', 'main.ts'));
}
