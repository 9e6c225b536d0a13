import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { RecordStore } from '../../src/application/ports/record-store.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { listAll } from '../../src/application/use-cases/blob-listing';
import { AVIARY_TABLE_NAMES } from '../../src/domain/schema/aviary-schema';
import { SeedConflictError, seedData, SeedResult } from '../../scripts/seed-data';
import { startTestService, TestService } from '../support/service';

const OPTIONS = { users: 3, documents: 20, bytes: 2_000_000, seed: 'seed-test' };

function deps(t: TestService) {
  const c = t.service.container!;
  return { records: c.get<RecordStore>(TOKENS.RecordStore), blobs: c.get<BlobStore>(TOKENS.BlobStore) };
}

async function counts(records: RecordStore): Promise<Record<string, number>> {
  return records.readSnapshot(async (r) => {
    const out: Record<string, number> = {};
    for (const table of AVIARY_TABLE_NAMES) out[table] = await r.count(table);
    return out;
  });
}

/** key, size and content hash of every stored object under users/. */
async function listing(blobs: BlobStore): Promise<string[]> {
  const lines: string[] = [];
  for await (const info of listAll(blobs, 'users/')) {
    const hash = createHash('sha256');
    for await (const chunk of await blobs.get(info.key)) hash.update(chunk);
    lines.push(`${info.key} ${info.size} ${hash.digest('hex')}`);
  }
  return lines;
}

async function filesOnDisk(dir: string): Promise<{ count: number; bytes: number }> {
  let count = 0;
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    count++;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return { count, bytes };
}

describe('seed data (SQLite + filesystem)', () => {
  let t: TestService;
  let seeded: SeedResult;
  let initial: Record<string, number>;

  before(async () => {
    t = await startTestService();
    initial = await counts(deps(t).records);
    seeded = await seedData(deps(t), OPTIONS);
  });
  after(() => t.stop());

  it('writes the rows asked for, beside the first admin the service created', async () => {
    const now = await counts(deps(t).records);
    const keys = seeded.users.reduce((n, u) => n + u.apiKeys.length, 0);
    assert.equal(now.users, initial.users + 3);
    assert.equal(now.api_keys, keys);
    assert.ok(keys >= 3 && keys <= 9, `1–3 API keys per user, got ${keys}`);
    assert.equal(now.documents, 20);
    assert.equal(now.login_attempts, initial.login_attempts + 15);
    assert.equal(now.user_sessions, seeded.rows.user_sessions);
    assert.ok(now.user_folders_cache >= 1);
    assert.equal(seeded.users.filter((u) => u.isAdmin).length, 0, 'an admin existed, so none is added');
  });

  it('stores 20 document files of exactly 2 MB in all, matching their documents rows', async () => {
    const { blobs, records } = deps(t);
    const stored = new Map<string, number>();
    for await (const info of listAll(blobs, 'users/')) stored.set(info.key, info.size);
    assert.equal(stored.size, 20);
    assert.equal([...stored.values()].reduce((a, b) => a + b, 0), 2_000_000);
    assert.deepEqual(await filesOnDisk(join(t.dataDir, 'users')), { count: 20, bytes: 2_000_000 });
    const rows = await records.readSnapshot(async (r) => {
      const all = [];
      for await (const row of r.stream('documents')) all.push(row);
      return all;
    });
    for (const row of rows) {
      assert.equal(stored.get(`users/${row.user_id}/pdfs/${row.local_path}`), row.file_size, String(row.local_path));
    }
  });

  it('produces the same listing, sizes and bytes for the same seed, and another for another seed', async () => {
    const other = await startTestService();
    const third = await startTestService();
    try {
      await seedData(deps(other), OPTIONS);
      await seedData(deps(third), { ...OPTIONS, seed: 'another-seed' });
      const mine = await listing(deps(t).blobs);
      assert.deepEqual(await listing(deps(other).blobs), mine);
      assert.notDeepEqual(await listing(deps(third).blobs), mine);
    } finally {
      await Promise.all([other.stop(), third.stop()]);
    }
  });

  it('lets a seeded user log in with password-<username> and use its API key; inactive users are refused', async () => {
    const user = seeded.users.find((u) => u.isActive)!;
    const login = await request(t.app).post('/api/auth/login').send({ username: user.username, password: `password-${user.username}` });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const check = await request(t.app).get('/api/auth/check').set('X-API-Key', user.apiKeys[0].key);
    assert.equal(check.body.authenticated, true);
    assert.equal(check.body.user.username, user.username);
    const inactive = seeded.users.find((u) => !u.isActive)!;
    const refused = await request(t.app).post('/api/auth/login').send({ username: inactive.username, password: inactive.password });
    assert.deepEqual(refused.body, { error: 'backend.auth.account_disabled' });
  });

  it('refuses to seed the same users twice, before writing anything', async () => {
    const { records, blobs } = deps(t);
    const rowsBefore = await counts(records);
    const filesBefore = (await listing(blobs)).length;
    await assert.rejects(seedData({ records, blobs }, OPTIONS), (error: unknown) => {
      assert.ok(error instanceof SeedConflictError);
      assert.match(error.message, /already has 3 of the users seed seed-test generates/);
      return true;
    });
    assert.deepEqual(await counts(records), rowsBefore);
    assert.equal((await listing(blobs)).length, filesBefore);
  });
});
