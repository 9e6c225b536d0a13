import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TarGzArchiveReader } from '../../src/adapters/archive/tar-gz.archive-reader';
import type { ByteStream, GetOptions } from '../../src/application/ports/blob-store.port';
import { AnalyzeRestoreUpload } from '../../src/application/use-cases/analyze-restore-upload.use-case';
import { DeleteRestoreUpload } from '../../src/application/use-cases/delete-restore-upload.use-case';
import { GetRestoreUploadStatus } from '../../src/application/use-cases/get-restore-upload-status.use-case';
import { OpenRestoreUpload } from '../../src/application/use-cases/open-restore-upload.use-case';
import { ReceiveRestoreUpload } from '../../src/application/use-cases/receive-restore-upload.use-case';
import { RunningAnalyses } from '../../src/application/use-cases/restore-uploads/running-analyses';
import { ValidateArchive } from '../../src/application/use-cases/validate-archive.use-case';
import { CryptoIdGenerator, SystemClock } from '../../src/adapters/system/system-clock';
import { InMemoryRestoreUploadStore } from '../fakes/in-memory.restore-upload-store';
import { MemoryBlobStore } from '../plugins/memory-storage';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const ADMIN = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';

/** Serves the first `stallAfter` bytes of every object, then waits until the read is aborted. */
class StallingBlobStore extends MemoryBlobStore {
  reads = 0;
  constructor(private readonly stallAfter: number) {
    super(64 * 1024 * 1024);
  }
  override async get(key: string, options: GetOptions = {}): Promise<ByteStream> {
    const whole = Buffer.concat(await collect(await super.get(key)));
    this.reads++;
    const stallAfter = this.stallAfter;
    return (async function* () {
      yield whole.subarray(0, stallAfter);
      await new Promise((_resolve, reject) => {
        const signal = options.signal!;
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    })();
  }
}

async function collect(stream: ByteStream): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part));
  return parts;
}

async function* once(data: Buffer): ByteStream {
  yield data;
}

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition never became true');
}

describe('restore upload use cases', () => {
  let archive: Buffer;
  before(async () => {
    archive = await readFile(join(__dirname, '..', 'fixtures', 'archives', 'historical', 'go-metadata-first.tar.gz'));
  });

  function setup<B extends MemoryBlobStore>(blobs: B) {
    const uploads = new InMemoryRestoreUploadStore();
    const running = new RunningAnalyses();
    const clock = new SystemClock();
    const validate = new ValidateArchive(new TarGzArchiveReader(), null, clock);
    return {
      uploads, blobs, running,
      receive: new ReceiveRestoreUpload(uploads, blobs, new CryptoIdGenerator(), clock, { retentionHours: 24 }),
      analyze: new AnalyzeRestoreUpload(uploads, blobs, validate, running, clock, silent),
      status: new GetRestoreUploadStatus(uploads, running, clock),
      remove: new DeleteRestoreUpload(uploads, blobs, running),
      open: new OpenRestoreUpload(uploads, blobs),
    };
  }

  it('records progress while an analysis runs; DELETE aborts it and removes file and row', async () => {
    const s = setup(new StallingBlobStore(1024));
    const upload = await s.receive.execute({ adminUserId: ADMIN, filename: 'a.tar.gz', body: once(archive) });
    const analysis = s.analyze.execute({ uploadId: upload.id, adminUserId: ADMIN });
    const outcome = analysis.then(() => 'resolved', (error) => error);

    await until(async () => (await s.uploads.get(upload.id))!.progress > 0);
    const during = await s.status.execute({ uploadId: upload.id, adminUserId: ADMIN });
    assert.equal(during.state, 'running');
    assert.ok(during.progress > 0 && during.progress < 100, String(during.progress));

    const joined = s.analyze.execute({ uploadId: upload.id, adminUserId: ADMIN }).catch((e) => e);
    await s.remove.execute({ uploadId: upload.id, adminUserId: ADMIN });
    const error = await outcome;
    assert.equal(error.code, 'analysis_cancelled');
    assert.equal((await joined).code, 'analysis_cancelled', 'a second request joined the same run');
    assert.equal(s.blobs.reads, 1, 'one read for both requests');
    assert.equal(await s.uploads.get(upload.id), null);
    assert.equal(await s.blobs.stat(upload.storageKey), null);
  });

  it('stores the finished analysis on the row, and restore opens the same bytes', async () => {
    const s = setup(new MemoryBlobStore(64 * 1024 * 1024));
    const upload = await s.receive.execute({ adminUserId: ADMIN, filename: 'a.tar.gz', body: once(archive) });
    const analysis = await s.analyze.execute({ uploadId: upload.id, adminUserId: ADMIN });
    assert.equal(analysis.valid, true, analysis.errors.join('; '));
    const row = (await s.uploads.get(upload.id))!;
    assert.equal(row.status, 'analyzed');
    assert.equal(row.progress, 100);
    assert.deepEqual(row.analysis, JSON.parse(JSON.stringify(analysis)));
    assert.ok(s.uploads.progressWrites.every((p, i, all) => i === 0 || p >= all[i - 1]), 'progress never goes back');

    const opened = await s.open.execute({ uploadId: upload.id.toUpperCase(), adminUserId: ADMIN });
    assert.equal(opened.upload.analysis?.valid, true);
    assert.ok(Buffer.concat(await collect(await opened.read())).equals(archive));
    assert.ok(Buffer.concat(await collect(await opened.read())).equals(archive), 'readable again');
    await assert.rejects(s.open.execute({ uploadId: upload.id, adminUserId: OTHER }), { code: 'upload_not_found' });
    await assert.rejects(s.open.execute({ uploadId: 'nope', adminUserId: ADMIN }), { code: 'invalid_upload_id' });
    await s.blobs.delete(upload.storageKey);
    await assert.rejects(opened.read(), { code: 'upload_not_found' });
  });

  it('leaves neither file nor row when the body fails half-way', async () => {
    const s = setup(new MemoryBlobStore(64 * 1024 * 1024));
    async function* broken(): ByteStream {
      yield Buffer.alloc(1000);
      throw Object.assign(new Error('too big'), { code: 'file_too_large' });
    }
    await assert.rejects(s.receive.execute({ adminUserId: ADMIN, filename: 'a.tar.gz', body: broken() }), { code: 'file_too_large' });
    assert.equal(s.uploads.rows.size, 0);
    assert.deepEqual((await s.blobs.listPage('')).items, []);
  });
});
