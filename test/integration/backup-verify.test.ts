import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { TarGzArchiveReader } from '../../src/adapters/archive/tar-gz.archive-reader';
import type { BlobStore, ByteStream } from '../../src/application/ports/blob-store.port';
import type { DatabaseBackend } from '../../src/application/ports/database.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { ApplyRetention } from '../../src/application/use-cases/apply-retention.use-case';
import { CreateBackup } from '../../src/application/use-cases/create-backup.use-case';
import { RestoreBackup } from '../../src/application/use-cases/restore-backup.use-case';
import { RunBackupJob } from '../../src/application/use-cases/run-backup-job.use-case';
import { ValidateArchive } from '../../src/application/use-cases/validate-archive.use-case';
import { checksumLine } from '../../src/domain/archive/archive-format';
import { parseChecksumLine } from '../../src/domain/archive/checksum-line';
import { silentLogger, startTestService, TestService } from '../support/service';

async function* once(data: Buffer) {
  yield data;
}

async function collect(stream: ByteStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** Names any Aviary user can give a document (the browser passes them through). */
const ODD_NAMES = ['two\nlines.pdf', 'carriage\rreturn.pdf', 'line\u2028separator.pdf', 'paragraph\u2029separator.pdf', 'crlf\r\n.pdf', 'ends-with-newline\n'];

describe('checksums.sha256 escapes names as GNU sha256sum does', () => {
  it('writes and reads back every character, the backslash included, as coreutils does', () => {
    for (const name of [...ODD_NAMES, 'back\\slash.pdf', '\\n literally.pdf', 'plain.pdf']) {
      const line = checksumLine('ab'.repeat(32), name);
      assert.equal(line.split('\n').length, 2, `one line for ${JSON.stringify(name)}`);
      assert.deepEqual(parseChecksumLine(line.slice(0, -1)), { sha256: 'ab'.repeat(32), name });
    }
    assert.equal(checksumLine('ab'.repeat(32), 'a\\b\nc'), `\\${'ab'.repeat(32)}  a\\\\b\\nc\n`);
    assert.equal(parseChecksumLine(`\\${'ab'.repeat(32)}  bad\\escape`), null);
  });

  it('passes the real sha256sum -c on files with those names', function () {
    const dir = mkdtempSync(join(tmpdir(), 'sha256sum-'));
    try {
      const names = [...ODD_NAMES, 'back\\slash.pdf'];
      let list = '';
      for (const [i, name] of names.entries()) {
        const body = Buffer.from(`document ${i}\n`);
        writeFileSync(join(dir, name), body);
        list += checksumLine(require('node:crypto').createHash('sha256').update(body).digest('hex'), name);
      }
      writeFileSync(join(dir, 'checksums.sha256'), list);
      const run = spawnSync('sha256sum', ['-c', '--strict', 'checksums.sha256'], { cwd: dir });
      assert.equal(run.status, 0, run.stdout.toString() + run.stderr.toString());
      // And what coreutils itself writes, we read.
      const gnu = execFileSync('sha256sum', ['--', ...names], { cwd: dir }).toString();
      const parsed = gnu.split('\n').filter(Boolean).map((l) => parseChecksumLine(l)?.name);
      assert.deepEqual(parsed, names);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('backups are verified after they are written', () => {
  let t: TestService;
  let cookie: string;
  let db: DatabaseBackend;
  let blobs: BlobStore;
  let adminId: string;

  before(async () => {
    t = await startTestService({ AUTH_USERNAME: 'root', AUTH_PASSWORD: 'root-password-1' });
    const login = await request(t.app).post('/api/auth/login').set('content-type', 'application/json').send({ username: 'root', password: 'root-password-1' });
    cookie = login.headers['set-cookie'][0].split(';')[0];
    db = t.service.container!.get<DatabaseBackend>(TOKENS.Database);
    blobs = t.service.container!.get<BlobStore>(TOKENS.BlobStore);
    adminId = (await db.accounts.findUserByLogin('root'))!.id;
  });
  after(() => t.stop());

  async function backupJob(): Promise<Record<string, any>> {
    const created = await request(t.app).post('/api/admin/backup-job').set('Cookie', cookie);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    for (;;) {
      const job = (await request(t.app).get(`/api/admin/backup-job/${created.body.job_id}`).set('Cookie', cookie)).body;
      if (job.status === 'completed' || job.status === 'failed') return job;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('a document named with \\n, \\r, U+2028 or U+2029 gives a verified backup that restores and passes sha256sum -c', async function () {
    this.timeout(60_000);
    const keys = ODD_NAMES.map((n, i) => ({ key: `users/${adminId}/pdfs/odd/${n}`, body: Buffer.from(`%PDF odd ${i}\n`) }));
    for (const k of keys) await blobs.put(k.key, once(k.body), { size: k.body.length });
    const job = await backupJob();
    assert.equal(job.status, 'completed', job.error_message);
    assert.equal(job.verified, true);
    const archive = await collect(await blobs.get(job.file_path));

    const analysis = await t.service.container!.get(ValidateArchive).execute({ source: once(archive) });
    assert.equal(analysis.valid, true, analysis.errors.join('\n'));
    assert.equal(analysis.checksums.mismatches.length, 0);

    const dir = mkdtempSync(join(tmpdir(), 'extracted-'));
    try {
      writeFileSync(join(dir, 'backup.tar.gz'), archive);
      execFileSync('tar', ['xzf', 'backup.tar.gz'], { cwd: dir });
      const run = spawnSync('sha256sum', ['-c', '--strict', 'checksums.sha256'], { cwd: dir });
      assert.equal(run.status, 0, run.stdout.toString() + run.stderr.toString());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    for (const k of keys) await blobs.delete(k.key);
    await t.service.container!.get(RestoreBackup).execute({
      open: async () => once(archive), overwriteDatabase: true, overwriteFiles: true, userIds: [], adminUserId: null, safetyBackup: false,
    });
    for (const k of keys) assert.deepEqual(await collect(await blobs.get(k.key)), k.body, JSON.stringify(k.key));
  });

  it('a backup that does not read back intact fails loudly and leaves no archive', async () => {
    const errors: string[] = [];
    const logger = { ...silentLogger, error: (m: string) => errors.push(m) };
    // Storage that flips one byte of what it stores: the archive is written, but not what was sent.
    const corrupting: BlobStore = Object.create(blobs, {
      put: {
        value: async (key: string, data: ByteStream, options?: object) => {
          const bytes = await collect(data);
          bytes[Math.floor(bytes.length / 2)] ^= 0x40;
          return blobs.put(key, once(bytes), { ...options, size: bytes.length });
        },
      },
    });
    const clock = { now: () => new Date() };
    const run = new RunBackupJob(db.jobs, corrupting, t.service.container!.get(CreateBackup), clock, logger, {},
      new ValidateArchive(new TarGzArchiveReader(), null, clock));
    const before = (await blobs.listPage('backups/')).items.length;
    const job = await db.jobs.create({ adminUserId: null, trigger: 'manual', options: { includeFiles: true, includeConfigs: true, userIds: [], tables: [] } });
    const done = await run.execute((await db.jobs.claim(job.id, 'test-worker'))!, 'test-worker');
    assert.equal(done?.status, 'failed');
    assert.match(done!.errorMessage ?? '', /Backup verification failed/);
    assert.equal(done?.verifiedAt, null);
    assert.ok(errors.some((m) => /verification failed/.test(m)), 'logged as an error');
    assert.equal((await blobs.listPage('backups/')).items.length, before);
    assert.deepEqual((await blobs.listPage('tmp/backups/')).items, []);
  });

  it('retention never deletes the newest verified backup, whatever the count', async () => {
    const good = await backupJob();
    assert.equal(good.verified, true);
    // Two newer completed backups that were never verified (made before verification existed).
    for (let i = 0; i < 2; i++) {
      const job = await db.jobs.create({ adminUserId: null, trigger: 'manual', options: { includeFiles: false, includeConfigs: false, userIds: [], tables: [] } });
      await db.jobs.claim(job.id, 'w');
      await blobs.put(`backups/unverified-${i}.tar.gz`, once(Buffer.from('x')), { size: 1 });
      await new Promise((r) => setTimeout(r, 5));
      assert.ok(await db.jobs.complete(job.id, 'w', { storageKey: `backups/unverified-${i}.tar.gz`, filename: `unverified-${i}.tar.gz`, fileSize: 1, warnings: [], expiresAt: null, verifiedAt: null }));
    }
    const { deleted } = await new ApplyRetention(db.jobs, blobs, { now: () => new Date() }, silentLogger, { keepCount: 2 }).execute();
    assert.equal(deleted.length, 1, 'the older verified backup goes');
    assert.ok(!deleted.includes(good.id), 'the newest verified backup was deleted');
    assert.ok(await blobs.stat(good.file_path));
    const remaining = (await db.jobs.list()).filter((j) => j.status === 'completed').map((j) => j.id);
    assert.ok(remaining.includes(good.id));
  });
});
