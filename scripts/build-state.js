'use strict';
// Whether dist/ is older than the sources: `npm start`, `prepare` and the CLI in a checkout compile
// only then, so a start from an up-to-date build takes seconds instead of a full `tsc` run.
const { existsSync, readdirSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const SOURCES = ['src', 'ui', 'tsconfig.json', 'tsconfig.build.json'];
/** Written after a successful build; its mtime is the build's time. */
const stampOf = (base) => join(base, 'dist', '.build-stamp');

function newestMtime(path) {
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs; // a deleted or renamed source changes its folder's mtime
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** True when there are sources (a checkout) and no build, or a source changed since the last build. */
function isStale(base = root) {
  if (!existsSync(join(base, 'src'))) return false; // an installed package: dist/ is all there is
  if (!existsSync(stampOf(base))) return true;
  const built = statSync(stampOf(base)).mtimeMs;
  return SOURCES.some((name) => existsSync(join(base, name)) && newestMtime(join(base, name)) > built);
}

/** `startedAt`: when the compiler started, so a source saved during the build counts as newer. */
function markBuilt(startedAt, base = root) {
  const stamp = stampOf(base);
  writeFileSync(stamp, `${startedAt.toISOString()}\n`);
  utimesSync(stamp, startedAt, startedAt);
}

module.exports = { isStale, markBuilt, root };
