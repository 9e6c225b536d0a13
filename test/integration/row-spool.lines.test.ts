import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlRowSpoolFactory } from '../../src/adapters/restore/jsonl.row-spool';
import type { LineStage, RowLineEncoding } from '../../src/application/ports/record-store.port';
import type { RowSpool } from '../../src/application/ports/row-spool.port';
import type { Row } from '../../src/domain/schema/column';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Lines of the row's values; a username "refuse" is a value the store could not hold. */
const encoding: RowLineEncoding = {
  encodes: () => true,
  line: (def, row) => {
    if (row.username === 'refuse') throw new Error(`${def.name}: cannot hold ${String(row.id)}`);
    return def.columns.map((c) => String(row[c.name])).join('|') + '\n';
  },
};

function attempt(i: number, username = `user-${i}`): Row {
  return { id: randomUUID(), ip_address: '192.0.2.1', username, success: false, attempted_at: '2025-08-01T00:00:00Z', user_agent: i % 500 === 7 ? 'a'.repeat(100_000) : '' };
}

/** The restore spool of tables kept in a store's line form (what a restore loads in bulk). */
describe('restore row spool with a line encoding', () => {
  let dir: string;
  let spool: RowSpool;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aviary-spool-lines-'));
    spool = await new JsonlRowSpoolFactory(dir).create(randomUUID(), { encoding, tables: new Set(['login_attempts']) });
  });
  afterEach(async () => {
    await spool.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('hands back exactly the encoded lines, in order, in chunks that each end a line', async () => {
    const rows = Array.from({ length: 5_000 }, (_, i) => attempt(i));
    for (const row of rows) await spool.append('login_attempts', row);
    assert.equal(spool.encoded('login_attempts'), true);
    const chunks = await collect(spool.lines('login_attempts'));
    assert.ok(chunks.length > 1, 'read back in more than one chunk');
    for (const chunk of chunks) assert.equal(chunk[chunk.byteLength - 1], 0x0a);
    const def = { name: 'login_attempts', columns: ['id', 'ip_address', 'username', 'success', 'attempted_at', 'user_agent'].map((name) => ({ name })) };
    const expected = rows.map((row) => encoding.line(def as never, row)).join('');
    assert.equal(Buffer.concat(chunks).toString('utf8'), expected);
  });

  it('keeps other tables as rows', async () => {
    const user = { id: randomUUID(), username: 'alice' };
    await spool.append('users', user);
    assert.equal(spool.encoded('users'), false);
    assert.deepEqual(await collect(spool.rows('users')), [user]);
    await assert.rejects(collect(spool.lines('users')), /spooled as rows/);
  });

  it('a row the encoding refuses fails the loading of its table, not the append', async () => {
    await spool.append('login_attempts', attempt(1));
    await spool.append('login_attempts', attempt(2, 'refuse'));
    await spool.append('login_attempts', attempt(3));
    await assert.rejects(collect(spool.lines('login_attempts')), /login_attempts: cannot hold/);
  });

  it('an opened table without rows loads no lines', async () => {
    spool.open('login_attempts');
    assert.deepEqual(await collect(spool.lines('login_attempts')), []);
  });
});

/** A stage that records what the spool hands it. */
function recordingStage() {
  const lines = new Map<string, Buffer[]>();
  const ended: string[] = [];
  let closed = 0;
  const stage: LineStage = {
    add: async (def, chunk) => void lines.set(def.name, [...(lines.get(def.name) ?? []), Buffer.from(chunk)]),
    end: (table) => void ended.push(table),
    close: async () => void closed++,
  };
  return { stage, lines, ended, closed: () => closed };
}

describe('restore row spool with a stage', () => {
  let dir: string;
  let spool: RowSpool;
  let recorded: ReturnType<typeof recordingStage>;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aviary-spool-stage-'));
    recorded = recordingStage();
    const staging: RowLineEncoding = { ...encoding, openStage: () => recorded.stage };
    spool = await new JsonlRowSpoolFactory(dir).create(randomUUID(), { encoding: staging, tables: new Set(['login_attempts']) });
  });
  afterEach(async () => {
    await spool.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('hands the stage the very lines of the file, in order, and ends the table once, at finish', async () => {
    const rows = Array.from({ length: 3_000 }, (_, i) => attempt(i));
    for (const row of rows) await spool.append('login_attempts', row);
    await spool.append('users', { id: randomUUID() });
    assert.deepEqual(recorded.ended, []);
    await spool.finish();
    assert.deepEqual(recorded.ended, ['login_attempts']);
    const staged = recorded.lines.get('login_attempts')!;
    for (const chunk of staged) assert.equal(chunk[chunk.byteLength - 1], 0x0a);
    assert.equal(Buffer.concat(staged).toString('utf8'), Buffer.concat(await collect(spool.lines('login_attempts'))).toString('utf8'));
    assert.deepEqual(recorded.ended, ['login_attempts'], 'reading the lines back does not end it again');
    assert.equal(recorded.lines.has('users'), false, 'tables kept as rows never reach the stage');
    await spool.dispose();
    assert.equal(recorded.closed(), 1);
  });

  it('end(table) hands the table\'s last lines and its end to the stage at once, so the stage finishes it while later tables are read', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => attempt(i));
    for (const row of rows) await spool.append('login_attempts', row);
    assert.deepEqual(recorded.ended, []);
    await spool.end('login_attempts');
    assert.deepEqual(recorded.ended, ['login_attempts'], 'ended before finish');
    assert.equal(Buffer.concat(recorded.lines.get('login_attempts')!).toString('utf8'), Buffer.concat(await collect(spool.lines('login_attempts'))).toString('utf8'));
    await assert.rejects(spool.append('login_attempts', attempt(51)), /after its end/);
    await spool.finish();
    assert.deepEqual(recorded.ended, ['login_attempts'], 'finish does not end it again');
  });

  it('finishes when the stage takes a table\'s last lines only after its file has closed', async () => {
    // A stage still opening (PostgreSQL's waits for a connection and the COPY to start) holds the last lines back.
    const slow = recordingStage();
    const add = slow.stage.add;
    slow.stage.add = async (def, chunk) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return add(def, chunk);
    };
    const staging: RowLineEncoding = { ...encoding, openStage: () => slow.stage };
    const slowSpool = await new JsonlRowSpoolFactory(dir).create(randomUUID(), { encoding: staging, tables: new Set(['login_attempts']) });
    try {
      await slowSpool.append('login_attempts', attempt(1));
      const finished = await Promise.race([slowSpool.finish().then(() => true), new Promise((resolve) => setTimeout(resolve, 10_000, false))]);
      assert.equal(finished, true, 'finish() never resolved');
      assert.deepEqual(slow.ended, ['login_attempts']);
    } finally {
      await slowSpool.dispose();
    }
  });

  it('a table with a refused row is never ended, so the stage never offers it', async () => {
    await spool.append('login_attempts', attempt(1));
    await spool.append('login_attempts', attempt(2, 'refuse'));
    await spool.finish();
    assert.deepEqual(recorded.ended, []);
    await assert.rejects(collect(spool.lines('login_attempts')), /login_attempts: cannot hold/);
  });
});
