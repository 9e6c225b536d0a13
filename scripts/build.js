#!/usr/bin/env node
'use strict';
// `npm run build`: compile src/ into dist/. With --if-stale (npm start, prepare): only when a source
// is newer than the last build, and never in an installed package (which has no src/).
const { spawnSync } = require('node:child_process');
const { rmSync } = require('node:fs');
const { join } = require('node:path');
const { isStale, markBuilt, root } = require('./build-state');

if (process.argv.includes('--if-stale') && !isStale()) process.exit(0);

let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
} catch {
  process.stderr.write('aviary-backup: dist/ is missing or older than src/ and TypeScript is not installed: run `npm ci` (with dev dependencies), then `npm run build`\n');
  process.exit(1);
}
process.stderr.write('aviary-backup: compiling src/ and ui/ into dist/\n');
// A clean output folder: files of deleted sources never linger in dist/.
rmSync(join(root, 'dist'), { recursive: true, force: true });
const started = new Date();
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
// The admin page (ui/) is bundled into dist/ui by its own script.
const page = spawnSync(process.execPath, [join(__dirname, 'build-ui.js')], { stdio: 'inherit' });
if (page.status !== 0) process.exit(page.status ?? 1);
markBuilt(started);
