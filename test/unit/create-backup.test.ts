import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CreateBackup, BackupProgress } from '../../src/application/use-cases/create-backup.use-case';
import { TarGzArchiveEncoder } from '../../src/adapters/archive/tar-gz.archive-encoder';
import { MemoryBlobStore } from '../plugins/memory-storage';
import { InMemoryRecordStore } from '../fakes/in-memory.record-store';
import { untar } from '../support/tar';

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const options = { includeFiles: true, includeConfigs: true, userIds: [] as string[], tables: [] as string[] };

async function* bytes(data: Buffer) {
  yield data;
}

describe('CreateBackup (use case, fakes)', () => {
  let records: InMemoryRecordStore;
  let blobs: MemoryBlobStore;
  let userId: string;

  beforeEach(async () => {
    records = new InMemoryRecordStore();
    blobs = new MemoryBlobStore(1 << 30);
    userId = randomUUID();
    records.tables.get('users')!.push({ id: userId, username: 'ada', email: 'a@x', password: '$2b$x', rmapi_config: '[device]\ntoken=secret' });
    for (let i = 0; i < 5; i++) {
      const data = Buffer.alloc(300_000 + i, i);
      await blobs.put(`users/${userId}/pdfs/doc-${i}.pdf`, bytes(data), { size: data.length });
    }
  });

  function useCase(blobStore = blobs) {
    return new CreateBackup(records, blobStore, new TarGzArchiveEncoder({ gzip: { blockSize: 64 * 1024 } }), { now: () => new Date('2026-01-02T03:04:05Z') }, silent, 'test');
  }

  async function run(uc: CreateBackup, opts = options, events: BackupProgress[] = []) {
    const parts: Buffer[] = [];
    const result = await uc.execute({
      options: opts,
      onProgress: (p) => events.push(p),
      sink: async (archive) => {
        for await (const chunk of archive) parts.push(Buffer.from(chunk));
      },
    });
    return { result, archive: Buffer.concat(parts), events };
  }

  it('reports progress that moves through the phases and reaches the total', async () => {
    const { events } = await run(useCase());
    const phases = [...new Set(events.map((e) => e.phase))];
    assert.deepEqual(phases, ['planning', 'database', 'documents', 'finalizing', 'done']);
    const moving = events.filter((e) => e.phase !== 'planning');
    for (let i = 1; i < moving.length; i++) assert.ok(moving[i].bytesDone >= moving[i - 1].bytesDone, 'bytes never go backwards');
    assert.ok(moving.filter((e) => e.phase === 'documents').length >= 3, 'several updates while documents stream');
    const last = events.at(-1)!;
    assert.equal(last.bytesDone, last.bytesTotal);
    assert.ok(last.bytesTotal > 1_500_000);
  });

  it('turns a document deleted during the backup into a warning, and the archive stays consistent', async () => {
    const vanishing = Object.create(blobs) as MemoryBlobStore;
    vanishing.stat = async (key: string) => (key.endsWith('doc-3.pdf') ? null : blobs.stat(key));
    const { result, archive } = await run(useCase(vanishing));
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0], /doc-3\.pdf was deleted during the backup/);
    assert.equal(result.documents, 4);
    const entries = untar(archive);
    assert.equal([...entries.keys()].filter((n) => n.startsWith('filesystem/')).length, 4);
    const manifest = entries.get('checksums.sha256')!.toString();
    assert.ok(!manifest.includes('doc-3.pdf'));
  });

  it('leaves pairing tokens out when configs are excluded', async () => {
    const { archive } = await run(useCase(), { ...options, includeConfigs: false, includeFiles: false });
    const entries = untar(archive);
    const users = JSON.parse(entries.get('database/users.json')!.toString());
    assert.equal(users[0].rmapi_config, '');
    assert.ok(![...entries.keys()].some((n) => n.startsWith('filesystem/')));
    const metadata = JSON.parse(entries.get('metadata.json')!.toString());
    assert.equal(metadata.include_configs, false);
    assert.equal(metadata.total_documents, 0);
  });

  it('refuses unknown users and tables before writing anything', async () => {
    let wrote = false;
    const uc = useCase();
    const attempt = (opts: typeof options) =>
      uc.execute({ options: opts, sink: async () => { wrote = true; } });
    await assert.rejects(attempt({ ...options, userIds: [randomUUID()] }), /Unknown user id/);
    await assert.rejects(attempt({ ...options, tables: ['users', 'passwords'] }), /Unknown table\(s\): passwords/);
    assert.equal(wrote, false);
  });
});
