import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['bin/aviary-backup.js', ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env } });

describe('aviary-backup backup create / restore (CLI)', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-cli-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('writes an archive to --output that GNU tar reads, with metadata first; plain progress lines off a terminal', async () => {
    const out = join(dataDir, 'manual.tar.gz');
    const { stdout, stderr } = await cli(['backup', 'create', '--output', out], { DATA_DIR: dataDir });
    assert.match(stdout, /backup written to .*manual\.tar\.gz/);
    assert.match(stderr, /backup: 100%/);
    const { stdout: names } = await run('tar', ['tzf', out]);
    const entries = names.trim().split('\n');
    assert.equal(entries[0], 'metadata.json');
    assert.equal(entries.at(-1), 'checksums.sha256');
    assert.deepEqual((await readdir(dataDir)).filter((n) => n.includes('partial')), []);
  });

  it('--help prints the usage and does nothing; a mistyped option is refused (exit 2) before anything runs', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'aviary-cli-help-'));
    try {
      const { stdout } = await cli(['backup', 'create', '--help'], { DATA_DIR: fresh });
      assert.match(stdout, /usage: aviary-backup backup create/);
      for (const args of [['backup', 'create', '--no-file'], ['restore', 'some.tar.gz', '--user', 'x', '--yes'], ['verify', 'x.tar.gz', '--jsn']]) {
        await assert.rejects(cli(args, { DATA_DIR: fresh }), (e: { code: number; stderr: string }) =>
          e.code === 2 && new RegExp(`unknown option ${args.find((a) => /^--(no-file|user|jsn)$/.test(a))}`).test(e.stderr) && /usage: aviary-backup/.test(e.stderr));
      }
      assert.deepEqual(await readdir(fresh), [], 'no database, no backup, nothing written');
    } finally {
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it('stores a listed backup job by default, and refuses malformed and unknown user ids', async () => {
    const { stdout } = await cli(['backup', 'create', '--no-files'], { DATA_DIR: dataDir });
    assert.match(stdout, /backup aviary_backup_\d{8}_\d{6}(_\d+)?\.tar\.gz stored/);
    assert.equal((await readdir(join(dataDir, 'backups'))).length, 1);
    await assert.rejects(cli(['backup', 'create', '--users', 'bob'], { DATA_DIR: dataDir }), (e: { code: number; stderr: string }) => {
      return e.code === 2 && /not user ids: bob/i.test(e.stderr);
    });
    // The same check as the API: a well-formed id of no user is refused too, and nothing is queued.
    await assert.rejects(cli(['backup', 'create', '--users', '00000000-0000-4000-8000-000000000001'], { DATA_DIR: dataDir }),
      (e: { code: number; stderr: string }) => e.code === 2 && /Unknown user id\(s\): 00000000-0000-4000-8000-000000000001/.test(e.stderr));
    assert.equal((await readdir(join(dataDir, 'backups'))).length, 1);
    await assert.rejects(cli(['backup', 'explode'], { DATA_DIR: dataDir }), (e: { code: number }) => e.code === 2);
  });


  it('restores a file with --yes after showing what it replaces, and refuses without confirmation off a terminal', async () => {
    const out = join(dataDir, 'for-restore.tar.gz');
    await cli(['backup', 'create', '--output', out], { DATA_DIR: dataDir });
    await assert.rejects(cli(['restore', out], { DATA_DIR: dataDir }), (e: { code: number; stderr: string; stdout: string }) => {
      return e.code === 2 && /pass --yes/.test(e.stderr) && /users\s+now\s+1/.test(e.stdout);
    });
    const { stdout } = await cli(['restore', out, '--yes'], { DATA_DIR: dataDir });
    assert.match(stdout, /restored \d+ rows and 0 files \(safety backup job [0-9a-f-]{36}\)/);
  });
});
