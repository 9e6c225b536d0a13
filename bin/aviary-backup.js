#!/usr/bin/env node
'use strict';
// The installed package (no src/) runs the compiled code. In a checkout the CLI runs dist/ when it
// is up to date, and the TypeScript sources through ts-node when they changed since the last build,
// so it never runs a stale build.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const compiled = join(root, 'dist', 'cli.js');
const source = join(root, 'src', 'cli.ts');
if (existsSync(source) && require(join(root, 'scripts', 'build-state.js')).isStale()) {
  require('ts-node').register({ transpileOnly: true, project: join(root, 'tsconfig.json') });
  require(source);
} else {
  require(compiled);
}
