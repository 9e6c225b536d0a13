import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

/** Restores a fixture in a child process; its own peak RSS comes back with the outcome. */
async function restoreInChild(fixture: string): Promise<{ ok: boolean; code?: string; message?: string; maxRssBytes: number }> {
  const { stdout } = await run(process.execPath, [
    '-r', 'ts-node/register/transpile-only', '-r', 'reflect-metadata',
    join(root, 'test', 'support', 'restore-rss-child.ts'), join(root, 'test', 'fixtures', 'archives', fixture),
  ], { cwd: root, maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

/**
 * The figures: archives well below the upload cap whose entries are read whole, or whose
 * bomb hides behind incompressible data. Each is refused with its reason at analysis; the peak RSS
 * bound is loose on purpose (it was 1.75 GB for the first before the limits; a restore of a small
 * valid archive under ts-node peaks near 230 MB).
 */
describe('archives that would exhaust memory are refused at analysis', function () {
  this.timeout(120_000);
  const cases: [string, RegExp][] = [
    ['hostile/legacy-rmapi-300mb.tar.gz', /rmapi\.conf.*is 300\.0 MiB, more than the limit of 1\.0 MiB/],
    ['hostile/checksums-320mb-blank-lines.tar.gz', /checksums\.sha256.*is 320\.0 MiB, more than the limit of 64\.0 MiB/],
    ['hostile/random-then-zeros.tar.gz', /zeros\.pdf.*above the per-entry limit of 200:1/],
  ];
  for (const [fixture, reason] of cases) {
    it(`${fixture}: refused with its reason, peak RSS bounded`, async () => {
      const result = await restoreInChild(fixture);
      assert.equal(result.ok, false, 'restored');
      assert.equal(result.code, 'archive_invalid');
      assert.match(result.message ?? '', reason);
      assert.ok(result.maxRssBytes < 400 * 1024 ** 2, `peak RSS ${Math.round(result.maxRssBytes / 1024 ** 2)} MB`);
      console.log(`      ${fixture}: peak RSS ${Math.round(result.maxRssBytes / 1024 ** 2)} MB`);
    });
  }
});
