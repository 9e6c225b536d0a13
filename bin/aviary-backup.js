#!/usr/bin/env node
'use strict';
// In a checkout (src/ present) the CLI runs the TypeScript sources, so it never runs a stale
// build; an installed package (dist/ only) runs the compiled code.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const source = join(root, 'src', 'adapters', 'cli', 'main.ts');
if (existsSync(source)) {
  require('ts-node').register({ transpileOnly: true, project: join(root, 'tsconfig.json') });
  require(source);
} else {
  require(join(root, 'dist', 'adapters', 'cli', 'main.js'));
}
