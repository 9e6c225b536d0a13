import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

/**
 * `aviary-backup restore FILE --yes` as operators run it: the compiled CLI in a child process with
 * a fresh DATA_DIR (SQLite, filesystem storage). Its exit code, stderr and own peak RSS come back.
 */
async function restoreInChild(fixture: string): Promise<{ code: number; stderr: string; maxRssBytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'aviary-hostile-memory-'));
  const rssFile = join(dir, 'max-rss');
  try {
    const env = {
      ...process.env, DATA_DIR: join(dir, 'data'), AUTH_USERNAME: 'bootstrap', AUTH_PASSWORD: 'bootstrap-password',
      LOG_LEVEL: 'error', AVIARY_TEST_RSS_FILE: rssFile,
    };
    const args = ['-r', join(root, 'test', 'support', 'report-max-rss.js'), join(root, 'dist', 'cli.js'),
      'restore', join(root, 'test', 'fixtures', 'archives', fixture), '--yes'];
    const outcome = await run(process.execPath, args, { cwd: root, env, maxBuffer: 4 * 1024 * 1024 }).then(
      ({ stderr }) => ({ code: 0, stderr }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code ?? -1, stderr: error.stderr ?? '' }),
    );
    return { ...outcome, maxRssBytes: Number(await readFile(rssFile, 'utf8')) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The figures: archives well below the upload cap whose entries are read whole, or whose
 * bomb hides behind incompressible data. Each is refused with its reason while the archive is read,
 * by the compiled CLI (the production process); the bound is the service's memory goal for any
 * restore (it was 1.75 GB for the first before the limits).
 */
describe('archives that would exhaust memory are refused at analysis', function () {
  this.timeout(600_000);

  before(async () => {
    await run(process.execPath, [join(root, 'scripts', 'build.js'), '--if-stale'], { cwd: root });
  });

  const cases: [string, RegExp][] = [
    ['hostile/legacy-rmapi-300mb.tar.gz', /rmapi\.conf.*is 300\.0 MiB, more than the limit of 1\.0 MiB/],
    ['hostile/checksums-320mb-blank-lines.tar.gz', /checksums\.sha256.*is 320\.0 MiB, more than the limit of 64\.0 MiB/],
    ['hostile/random-then-zeros.tar.gz', /zeros\.pdf.*above the per-entry limit of 200:1/],
  ];
  for (const [fixture, reason] of cases) {
    it(`${fixture}: refused with its reason, peak RSS bounded`, async () => {
      const result = await restoreInChild(fixture);
      assert.equal(result.code, 1, `exit code (stderr: ${result.stderr.slice(-500)})`);
      assert.match(result.stderr, /INVALID, not restored/);
      assert.match(result.stderr, reason);
      assert.ok(result.maxRssBytes < 200 * 1024 ** 2, `peak RSS ${Math.round(result.maxRssBytes / 1024 ** 2)} MB`);
      console.log(`      ${fixture}: peak RSS ${Math.round(result.maxRssBytes / 1024 ** 2)} MB`);
    });
  }
});
