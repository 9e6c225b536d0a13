'use strict';
// Whether dist/ is older than the sources: `npm start`, `prepare` and the CLI in a checkout compile
// only then, so a start from an up-to-date build takes seconds instead of a full `tsc` run.
const { existsSync, readdirSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const SOURCES = ['src', 'tsconfig.json', 'tsconfig.build.json'];
/** Written after a successful build; its mtime is the build's time. */
const STAMP = join(root, 'dist', '.build-stamp');

function newestMtime(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs; // a deleted or renamed source changes its folder's mtime
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** True when there are sources (a checkout) and no build, or a source changed since the last build. */
function isStale() {
  if (!existsSync(join(root, 'src'))) return false; // an installed package: dist/ is all there is
  if (!existsSync(STAMP)) return true;
  const built = statSync(STAMP).mtimeMs;
  return SOURCES.some((name) => existsSync(join(root, name)) && newestMtime(join(root, name)) > built);
}

function markBuilt() {
  writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  const now = new Date();
  utimesSync(STAMP, now, now);
}

module.exports = { isStale, markBuilt, root };
