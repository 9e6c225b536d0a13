import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { TarGzArchiveReader } from '../../src/adapters/archive/tar-gz.archive-reader';
import type { ArchiveLimits } from '../../src/application/ports/archive-reader.port';
import { ValidateArchive, type BackupAnalysis, type PassCompanion } from '../../src/application/use-cases/validate-archive.use-case';
import type { Row } from '../../src/domain/schema/column';
import { users } from '../../src/domain/schema/aviary-schema';
import { CountingRecordStore, fixedClock } from '../fakes/counting.record-store';
import { bufferStream, gzip, ourArchive, ourTar, type SimpleEntry } from '../support/archive-builder';

const FIXTURES = join(__dirname, '..', 'fixtures', 'archives');
interface IndexEntry {
  file: string;
  kind: 'historical' | 'hostile';
  description: string;
  limits?: Partial<ArchiveLimits>;
  expect: Record<string, any>;
}
const index: IndexEntry[] = JSON.parse(readFileSync(join(FIXTURES, 'index.json'), 'utf8')).fixtures;
const current = { users: 2, api_keys: 5, documents: 7 };

function validator(limits: Partial<ArchiveLimits> = {}) {
  return new ValidateArchive(new TarGzArchiveReader(limits), new CountingRecordStore(current), fixedClock());
}

function analyse(file: string, limits?: Partial<ArchiveLimits>): Promise<BackupAnalysis> {
  return validator(limits).execute({ source: createReadStream(join(FIXTURES, file)) });
}

/** Names appear JSON-quoted in messages (a NUL shows as \u0000). */
const named = (entry: string) => JSON.stringify(entry).slice(1, -1);

describe('ValidateArchive with the tar.gz reader, over every fixture in index.json', function () {
  let sandbox: string;
  const saved = { TMPDIR: process.env.TMPDIR, TMP: process.env.TMP, TEMP: process.env.TEMP };

  before(() => {
    sandbox = mkdtempSync(join(tmpdir(), 'validate-sandbox-'));
    Object.assign(process.env, { TMPDIR: sandbox, TMP: sandbox, TEMP: sandbox });
  });
  after(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
    rmSync(sandbox, { recursive: true, force: true });
  });
  afterEach(() => assert.deepEqual(readdirSync(sandbox), [], 'validation wrote temporary files'));

  for (const f of index.filter((x) => x.kind === 'historical')) {
    it(`accepts ${f.file}: ${f.description}`, async () => {
      const a = await analyse(f.file, f.limits);
      const e = f.expect;
      assert.equal(a.valid, true, a.errors.join('\n'));
      assert.deepEqual(a.errors, []);
      assert.deepEqual(
        [a.user_count, a.api_key_count, a.document_count, a.total_size_bytes],
        [e.user_count, e.api_key_count, e.document_count, e.total_size_bytes],
      );
      assert.deepEqual(a.tables, e.tables);
      if (e.warnings.length === 0) assert.deepEqual(a.warnings, []);
      for (const fragment of e.warnings) assert.ok(a.warnings.some((w) => w.includes(fragment)), `no warning with ${fragment}: ${a.warnings.join('\n')}`);
      assert.equal(a.version.comparison, e.comparison);
      assert.equal(a.version.requires_force, e.requires_force);
      assert.deepEqual(a.legacy_configs_used, e.legacy_configs_used);
      assert.equal(a.checksums.verified, e.checksums_verified);
      assert.equal(a.export_timestamp, '2025-08-06 09:00:00 UTC');
      assert.deepEqual(a.restore_would_replace.users, { current: 2, archive: e.user_count });
    });
  }

  for (const f of index.filter((x) => x.kind === 'hostile')) {
    it(`${f.expect.valid ? 'warns about' : 'refuses'} ${f.file}: ${f.description}`, async () => {
      const a = await analyse(f.file, f.limits);
      const e = f.expect;
      assert.equal(a.valid, e.valid, `errors: ${a.errors.join('\n')}`);
      if (e.error) {
        const hit = a.errors.find((m) => m.includes(e.error) && (!e.entry || m.includes(named(e.entry))));
        assert.ok(hit, `expected an error with ${JSON.stringify(e.error)}${e.entry ? ` naming ${e.entry}` : ''}, got:\n${a.errors.join('\n')}`);
      }
      if (e.warning) assert.ok(a.warnings.some((w) => w.includes(e.warning)), a.warnings.join('\n'));
      if (e.requires_force !== undefined) assert.equal(a.version.requires_force, e.requires_force);
    });
  }

  it('keeps working after every hostile fixture (the process is unharmed)', async () => {
    const a = await analyse('historical/ours-with-checksums.tar.gz');
    assert.equal(a.valid, true);
  });
});

describe('ValidateArchive: archives built on the fly', () => {
  const docName = 'filesystem/documents/3f2b1c4e-8a6d-4e2f-9b1a-0c5d7e9f1a2b/a.pdf';
  const fixtureEntries = (): SimpleEntry[] => {
    const dir = join(FIXTURES, 'historical', 'ours-with-checksums.tar.gz');
    const tar = gunzipSync(readFileSync(dir));
    // Reuse the fixture's metadata and tables; add one more document.
    const entries: SimpleEntry[] = [];
    let off = 0;
    while (off + 512 <= tar.length && tar[off] !== 0) {
      const name = tar.toString('utf8', off, off + 100).replace(/\0.*$/s, '');
      const size = parseInt(tar.toString('latin1', off + 124, off + 136).replace(/\0.*$/s, '').trim(), 8);
      if (name !== 'checksums.sha256') entries.push({ name, body: tar.subarray(off + 512, off + 512 + size) });
      off += 512 + Math.ceil(size / 512) * 512;
    }
    return entries;
  };

  it('validates an archive written by our own writer, checksums included', async () => {
    const entries = fixtureEntries();
    const gz = await ourArchive(entries, { checksums: true });
    const a = await validator().execute({ source: bufferStream(gz), sizeBytes: gz.length });
    assert.equal(a.valid, true, a.errors.join('\n'));
    assert.deepEqual(a.checksums, { present: true, verified: entries.length, mismatches: [] });
  });

  // Rows of a database read in storage order list UUID keys out of key order; such keys are
  // compared when the table ends, and a repeat among them is still named with its row.
  it('names a repeated key that came out of key order, with the later row and the key in lower case', async () => {
    const row = (id: string, n: number) => ({ attempted_at: '2025-08-03T09:15:42.9Z', id, ip_address: `192.0.2.${n}`, success: false, user_agent: '', username: 'ada' });
    const ids = ['c0000000-0000-4000-8000-000000000003', 'a0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002', 'A0000000-0000-4000-8000-000000000001', 'b0000000-0000-4000-8000-000000000002'];
    const table = Buffer.from(JSON.stringify(ids.map(row)));
    const entries = fixtureEntries().map((e) => (e.name === 'database/login_attempts.json' ? { name: e.name, body: table } : e));
    const gz = await ourArchive(entries, { checksums: true });
    const a = await validator().execute({ source: bufferStream(gz), sizeBytes: gz.length });
    assert.equal(a.valid, false);
    const repeats = a.errors.filter((m) => m.includes('duplicate primary key'));
    assert.deepEqual(repeats, [
      'database/login_attempts.json row [3]: duplicate primary key id="a0000000-0000-4000-8000-000000000001"',
      'database/login_attempts.json row [4]: duplicate primary key id="b0000000-0000-4000-8000-000000000002"',
    ]);
  });

  it('names the document whose bytes were flipped inside the tar (checksum mismatch)', async () => {
    const body = Buffer.from('%PDF-1.4\n' + 'stream of the document to corrupt\n'.repeat(20) + '%%EOF\n');
    const entries = [...fixtureEntries(), { name: docName, body }];
    const tar = gunzipSync(await ourArchive(entries, { checksums: true }));
    const at = tar.indexOf(body);
    assert.ok(at > 0);
    tar[at + 100] ^= 0x20;
    const a = await validator().execute({ source: bufferStream(gzip(tar)) });
    assert.equal(a.valid, false);
    assert.deepEqual(a.checksums.mismatches, [docName]);
    assert.ok(a.errors.some((m) => m.includes(`Entry "${docName}": sha256 mismatch`)), a.errors.join('\n'));
  });

  it('hands a companion each row once checked, in canonical form: every column in schema order, values coerced, absent ones defaulted, unknown ones dropped', async () => {
    const id = (n: number) => `A0B1C2D3-E4F5-4A6B-8C7D-00000000000${n}`;
    const full = {
      id: id(1), username: 'ada', email: 'ada@example.org', password: 'x', is_admin: 1, is_active: true, rmapi_host: '', default_rmdir: '/',
      folder_refresh_percent: '7', coverpage_setting: '', contrast_setting: 'none', conflict_resolution: 'abort', folder_depth_limit: 0,
      folder_exclusion_list: '', page_resolution: '', page_dpi: 0, conversion_output_format: 'epub', rmapi_config: null,
      pdf_background_removal: null, experimental_download_link: false, reset_token: '', reset_token_expires: '0001-01-01T00:00:00Z',
      oidc_subject: null, created_at: '2025-08-01 10:30:00.120000+02:00', updated_at: '2025-08-31T23:00:00Z', last_login: null,
    };
    // Out of order, columns with defaults left out, one column this service does not know, an email that is no string.
    const sparse = { updated_at: '2025-08-02T00:00:00Z', created_at: '2025-08-01T00:00:00Z', password: 'y', email: 42, username: 'bob', id: id(2), shoe_size: 44 };
    const seen: Row[] = [];
    const companion: PassCompanion = { metadata: () => undefined, tableStarts: () => undefined, file: async () => undefined, row: async (_def, row) => void seen.push(row) };
    const gz = await ourArchive([{ name: 'database/users.json', body: JSON.stringify([full, sparse]) }]);
    const a = await validator().execute({ source: bufferStream(gz), alongside: companion });
    assert.ok(a.errors.some((m) => m.includes('database/users.json row [1]: email must be a string (found 42)')), a.errors.join('\n'));
    const columns = users.columns.map((c) => c.name);
    assert.deepEqual(seen.map((row) => Object.keys(row)), [columns, columns]);
    assert.deepEqual(seen[0], {
      ...full, id: id(1).toLowerCase(), is_admin: true, folder_refresh_percent: 7, rmapi_config: '', reset_token_expires: null, created_at: '2025-08-01T08:30:00.12Z',
    });
    assert.deepEqual(seen[1], {
      id: id(2).toLowerCase(), username: 'bob', email: null, password: 'y', is_admin: false, is_active: true, rmapi_host: '', default_rmdir: '/',
      folder_refresh_percent: 0, coverpage_setting: '', contrast_setting: 'none', conflict_resolution: 'abort', folder_depth_limit: 0,
      folder_exclusion_list: '', page_resolution: '', page_dpi: 0, conversion_output_format: 'epub', rmapi_config: '',
      pdf_background_removal: null, experimental_download_link: null, reset_token: '', reset_token_expires: null,
      oidc_subject: null, created_at: '2025-08-01T00:00:00Z', updated_at: '2025-08-02T00:00:00Z', last_login: null,
    });
  });

  it('tells a companion when each table file ends, before the next entry, and not for a table file that failed', async () => {
    const events: string[] = [];
    const companion: PassCompanion = {
      metadata: () => undefined,
      tableStarts: (def) => void events.push(`start ${def.name}`),
      tableEnds: async (def) => void events.push(`end ${def.name}`),
      file: async () => undefined,
      row: async (def) => void events.push(`row ${def.name}`),
    };
    const gz = await ourArchive([
      { name: 'database/system_settings.json', body: JSON.stringify([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]) },
      { name: 'database/login_attempts.json', body: '[{"id": "not closed' },
      { name: 'database/user_folders_cache.json', body: '[]' },
    ]);
    await validator().execute({ source: bufferStream(gz), alongside: companion });
    const settings = events.indexOf('end system_settings');
    assert.ok(settings > events.lastIndexOf('row system_settings') && settings < events.indexOf('start login_attempts'), events.join(', '));
    assert.equal(events.includes('end login_attempts'), false, events.join(', '));
    assert.ok(events.indexOf('end user_folders_cache') > events.indexOf('start user_folders_cache'), events.join(', '));
  });

  it('accepts several concatenated gzip members', async () => {
    const tar = await ourTar(fixtureEntries());
    const cut = 512 * 7;
    const gz = Buffer.concat([gzip(tar.subarray(0, cut)), gzip(tar.subarray(cut))]);
    const a = await validator().execute({ source: bufferStream(gz, 100) });
    assert.equal(a.valid, true, a.errors.join('\n'));
  });

  it('reports progress against the known size', async () => {
    const gz = await ourArchive(fixtureEntries());
    const seen: number[] = [];
    await validator().execute({ source: bufferStream(gz, 256), sizeBytes: gz.length, onProgress: (p) => seen.push(p.percent ?? -1) });
    assert.ok(seen.length > 0 && seen.every((p) => p >= 0 && p <= 100));
    assert.equal(seen[seen.length - 1], 100);
  });

  it('rejects (does not report) an abort and an I/O error of the source', async () => {
    const controller = new AbortController();
    const gz = await ourArchive(fixtureEntries());
    async function* slow() {
      for await (const c of bufferStream(gz, 64)) {
        controller.abort();
        yield c;
      }
    }
    await assert.rejects(validator().execute({ source: slow(), signal: controller.signal }), { name: 'AbortError' });
    async function* broken() {
      yield gz.subarray(0, 100);
      throw Object.assign(new Error('disk gone'), { code: 'EIO' });
    }
    await assert.rejects(validator().execute({ source: broken() }), /disk gone/);
  });

  it('ends promptly when aborted while the source is stalled', async () => {
    const gz = await ourArchive(fixtureEntries());
    async function* stalled() {
      yield gz.subarray(0, 200);
      await new Promise(() => undefined); // never delivers more
    }
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(validator().execute({ source: stalled(), signal: controller.signal }), { name: 'AbortError' });
  });

  it('reads 1 GiB of zeros with flat memory when the limits allow it', async function () {
    this.timeout(60_000);
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    try {
      const a = await analyse('hostile/gzip-bomb.tar.gz', { maxCompressionRatio: 1e9, maxEntryCompressionRatio: 1e9 });
      assert.ok(a.uncompressed_bytes > 1024 ** 3, 'every byte was read');
      assert.deepEqual(a.errors, []); // a files-only archive: metadata and one (zero-filled) document
    } finally {
      clearInterval(timer);
    }
    assert.ok(peak - before < 150 * 1024 ** 2, `RSS grew by ${Math.round((peak - before) / 1024 ** 2)} MiB`);
  });

  it('validates what GNU tar writes when an operator re-tars an extracted backup (gnu and posix formats)', async function () {
    this.timeout(30_000);
    const dir = mkdtempSync(join(tmpdir(), 'gnu-retar-'));
    try {
      const tree = join(dir, 'tree');
      mkdirSync(tree);
      execFileSync('tar', ['xzf', join(FIXTURES, 'historical/go-metadata-first.tar.gz'), '-C', tree]);
      const longDir = join(tree, 'filesystem/documents/3f2b1c4e-8a6d-4e2f-9b1a-0c5d7e9f1a2b', 'a'.repeat(90), 'b'.repeat(90));
      mkdirSync(longDir, { recursive: true });
      writeFileSync(join(longDir, `${'c'.repeat(120)}.pdf`), '%PDF long name\n');
      for (const format of ['gnu', 'posix']) {
        const out = join(dir, `${format}.tar.gz`);
        execFileSync('tar', [`--format=${format}`, '-czf', out, '-C', tree, '.']);
        const a = await validator().execute({ source: createReadStream(out) });
        assert.equal(a.valid, true, `${format}: ${a.errors.join('\n')}`);
        assert.equal(a.document_count, 4, format);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('GNU tar lists our archives and every historical fixture without complaint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gnu-tar-'));
    try {
      const ours = join(dir, 'ours.tar.gz');
      writeFileSync(ours, await ourArchive(fixtureEntries(), { checksums: true }));
      const files = [ours, ...index.filter((f) => f.kind === 'historical').map((f) => join(FIXTURES, f.file))];
      for (const file of files) {
        const listing = execFileSync('tar', ['tzf', file], { encoding: 'utf8' });
        assert.match(listing, /metadata\.json/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
