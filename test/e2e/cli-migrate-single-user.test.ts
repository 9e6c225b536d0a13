import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { dirHashes, expectedHashes, OLD_API_KEY, singleUserLayout, writeDocumentsToDir, writePairingFile } from '../support/single-user-layout';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

describe('aviary-backup migrate-single-user (CLI)', () => {
  let dir: string;
  let env: Record<string, string>;
  let docs: Map<string, Buffer>;
  const cli = (args: string[]) =>
    run(process.execPath, ['bin/aviary-backup.js', 'migrate-single-user', ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', ...env } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aviary-s2m-cli-'));
    docs = singleUserLayout();
    await writeDocumentsToDir(join(dir, 'pdfs'), docs);
    await writePairingFile(join(dir, 'rmapi.conf'));
    env = {
      DATA_DIR: join(dir, 'data'), PDF_DIR: join(dir, 'pdfs'), RMAPI_CONFIG_PATH: join(dir, 'rmapi.conf'), API_KEY: OLD_API_KEY,
      MULTI_USER: 'true', AUTH_USERNAME: 'admin', AUTH_PASSWORD: 'admin password 1',
    };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('--dry-run --json previews without moving anything, even on the boot that creates the admin', async () => {
    const { stdout } = await cli(['--dry-run', '--json']);
    const preview = JSON.parse(stdout);
    assert.equal(preview.pending, true);
    assert.equal(preview.documents.count, docs.size);
    assert.equal(preview.api_key, 'will-create');
    assert.deepEqual(preview.pairing, { present: true, will_apply: true });
    assert.deepEqual(await dirHashes(join(dir, 'pdfs')), expectedHashes(docs));
    assert.deepEqual(await dirHashes(join(dir, 'data', 'users')), new Map());
  });

  it('runs the migration and prints its report; a second run has nothing to do', async () => {
    const { stdout } = await cli([]);
    assert.match(stdout, new RegExp(`migration completed .*\\ndocuments moved: ${docs.size} `));
    assert.match(stdout, /pairing: migrated\nAPI_KEY: created/);
    assert.deepEqual(await dirHashes(join(dir, 'pdfs')), new Map());
    assert.equal((await dirHashes(join(dir, 'data', 'users'))).size, docs.size);
    const again = JSON.parse((await cli(['--json'])).stdout);
    assert.deepEqual([again.moved, again.pairing, again.api_key], [[], 'kept-existing', 'already-present']);
  });
});
