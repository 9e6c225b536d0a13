/**
 * The BlobStore conformance suite. Every storage backend — built-in, fake or third-party plugin — runs it:
 *
 *   blobStoreContract('my backend', async () => ({ store, cleanup: async () => { ... } }));
 *
 * `setup` runs once per suite; every test works under its own random key prefix. Set CONTRACT_REPORT=1 to
 * print the timing and peak RSS of the 100 MiB round trip.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, type Hash } from 'node:crypto';
import type { BlobStore, ByteStream } from '../application/ports/blob-store.port';
import { rejectsWithCode } from './assert-domain-error';
import { mocha } from './mocha-globals';

export interface BlobStoreSubject {
  store: BlobStore;
  /** Removes what setup made (bucket, folder); the store itself is closed by the suite. */
  cleanup?(): Promise<void>;
}
/** The former name of BlobStoreSubject. */
export type ContractSubject = BlobStoreSubject;

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

export function blobStoreContract(label: string, setup: () => Promise<BlobStoreSubject>): void {
  const { describe, it, before, after, beforeEach } = mocha();
  describe(`BlobStore contract: ${label}`, function () {
    let subject: ContractSubject | undefined;
    let store: BlobStore;
    let p: string; // this test's namespace, e.g. "contract-1a2b3c4d5e6f/"

    before(async function () {
      this.timeout(60_000);
      subject = await setup();
      store = subject.store;
    });
    after(async () => {
      await subject?.store.close?.();
      await subject?.cleanup?.();
    });
    beforeEach(() => {
      p = `contract-${randomBytes(6).toString('hex')}/`;
    });

    it('ping resolves', async () => {
      await store.ping();
    });

    it('put then get returns the same bytes; put and stat report size and modification time', async () => {
      const data = randomBytes(12_345);
      const before = Date.now();
      const info = await store.put(`${p}doc.pdf`, once(data));
      assert.equal(info.key, `${p}doc.pdf`);
      assert.equal(info.size, data.length);
      assertRecent(info.modifiedAt, before);
      assert.deepEqual(await readAll(await store.get(`${p}doc.pdf`)), data);
      const stat = await store.stat(`${p}doc.pdf`);
      assert.equal(stat?.size, data.length);
      assert.ok(Math.abs(stat!.modifiedAt.getTime() - info.modifiedAt.getTime()) < 2_000, 'stat and put agree on the time');
    });

    it('stores an empty object', async () => {
      const info = await store.put(`${p}empty`, chunked(Buffer.alloc(0)), { size: 0 });
      assert.equal(info.size, 0);
      assert.equal((await readAll(await store.get(`${p}empty`))).length, 0);
    });

    it('get of a missing key fails with NotFoundError blob_not_found; stat returns null', async () => {
      await rejectsWithCode(store.get(`${p}missing.pdf`), 'not_found', 'blob_not_found');
      assert.equal(await store.stat(`${p}missing.pdf`), null);
      await store.put(`${p}dir/file`, once('x'));
      await rejectsWithCode(store.get(`${p}dir`), 'not_found', 'blob_not_found'); // a "folder" is not an object
      assert.equal(await store.stat(`${p}dir`), null);
    });

    it('get with an inclusive byte range; an end past the object is clamped, a start past it refused', async () => {
      const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
      await store.put(`${p}r.bin`, chunked(data, 77));
      const range = async (start?: number, end?: number) => readAll(await store.get(`${p}r.bin`, { start, end }));
      assert.deepEqual(await range(10, 19), data.subarray(10, 20));
      assert.deepEqual(await range(990), data.subarray(990));
      assert.deepEqual(await range(undefined, 4), data.subarray(0, 5));
      assert.deepEqual(await range(995, 5000), data.subarray(995));
      assert.deepEqual(await range(0, 0), data.subarray(0, 1));
      await rejectsWithCode(range(1000), 'invalid', 'invalid_range');
      await rejectsWithCode(range(5, 2), 'invalid', 'invalid_range');
    });

    it('a read-size hint never changes what get returns, whatever its value', async () => {
      const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) % 251));
      await store.put(`${p}hint.bin`, chunked(data, 65_536));
      for (const readSize of [1024, 64 * 1024, 3_000_001, 0, -5, 1.5, Number.NaN]) {
        assert.deepEqual(await readAll(await store.get(`${p}hint.bin`, { readSize })), data, `readSize ${readSize}`);
      }
      assert.deepEqual(await readAll(await store.get(`${p}hint.bin`, { start: 100, end: 70_099, readSize: 1024 })), data.subarray(100, 70_100));
    });

    it('overwrite replaces the whole object', async () => {
      await store.put(`${p}o.txt`, once('the first version, which is longer'));
      const info = await store.put(`${p}o.txt`, once('v2'));
      assert.equal(info.size, 2);
      assert.equal((await readAll(await store.get(`${p}o.txt`))).toString(), 'v2');
      assert.equal((await store.stat(`${p}o.txt`))?.size, 2);
    });

    describe('with 1,537 keys under one prefix and neighbours next to it', function () {
      const COUNT = 1537;
      let base: string;
      let keys: string[];
      let neighbours: string[];

      before(async function () {
        this.timeout(120_000);
        base = `contract-${randomBytes(6).toString('hex')}/abc/`;
        const root = base.slice(0, -'abc/'.length);
        keys = Array.from({ length: COUNT }, (_, i) => `${base}${['', 'x/', 'y/z/'][i % 3]}k${String(i).padStart(5, '0')}.bin`);
        neighbours = [`${root}abcd/leak.bin`, `${root}abcd/deeper/leak.bin`, `${root}abc.txt`, `${root}ab`];
        await mapLimit([...keys, ...neighbours], 16, (key) => store.put(key, once(key)).then(() => undefined));
      });

      it('pages with limit 1000: exactly two pages, every key once, ascending, no neighbour leaking in', async () => {
        const first = await store.listPage(base, { limit: 1000 });
        assert.equal(first.items.length, 1000);
        assert.equal(typeof first.cursor, 'string', 'a first page of a longer listing has a cursor');
        const second = await store.listPage(base, { limit: 1000, cursor: first.cursor });
        assert.equal(second.items.length, COUNT - 1000);
        assert.equal(second.cursor, undefined, 'the last page has no cursor');
        const listed = [...first.items, ...second.items];
        assert.deepEqual(listed.map((i) => i.key), [...keys].sort(byteOrder));
        for (const item of listed) assert.equal(item.size, Buffer.byteLength(item.key), item.key);
      });

      it('defaults the page size to 1000 and caps larger limits at 1000', async () => {
        assert.equal((await store.listPage(base)).items.length, 1000);
        assert.equal((await store.listPage(base, { limit: 5000 })).items.length, 1000);
        assert.equal((await store.listPage(base, { limit: 7 })).items.length, 7);
      });

      it('deletePrefix removes all 1,537 and reports the count; the neighbours stay', async function () {
        this.timeout(120_000);
        assert.equal(await store.deletePrefix(base), COUNT);
        assert.deepEqual(await listKeys(store, base), []);
        for (const key of neighbours) assert.ok(await store.stat(key), `${key} survived`);
      });
    });

    it('lists in UTF-8 byte order across folders and special characters, page by page', async () => {
      const names = ['a b.pdf', 'a/x.pdf', 'a.b', 'a-b', 'a~', 'Z', 'é.pdf', '～.pdf', '📄.pdf', 'a/b/c.pdf', 'a0', 'A'];
      const keys = names.map((n) => `${p}o/${n}`);
      for (const key of keys) await store.put(key, once(key));
      assert.deepEqual(await listKeys(store, `${p}o/`, 3), [...keys].sort(byteOrder));
    });

    it('keys with spaces, unicode, dots, URL metacharacters and nested folders round-trip and list', async () => {
      const names = [
        'Überweisung 日本語 📄.pdf', 'with space.pdf', 'Vol..2.pdf', 'deep/er/sub folder/file.pdf', 'C++ Primer.pdf',
        '50% off.pdf', 'q?x#y&z=1;@$,.pdf', "it's (1) [final].pdf", '.hidden', '..twodots', 'trailing.', 'dots/.../x.pdf',
      ];
      const keys = names.map((n) => `${p}${n}`);
      for (const key of keys) await store.put(key, once(`content of ${key}`));
      for (const key of keys) {
        assert.equal((await readAll(await store.get(key))).toString(), `content of ${key}`, key);
        assert.equal((await store.stat(key))?.size, Buffer.byteLength(`content of ${key}`), key);
      }
      assert.deepEqual(await listKeys(store, p), [...keys].sort(byteOrder));
    });

    it('refuses invalid keys with InvalidInputError invalid_storage_key before any I/O; nothing is written', async () => {
      const bad = ['', '/abs', p, `${p}a//b`, `${p}a/../b`, `${p}./a`, `${p}a/.`, `${p}a\\b`, `${p}a\u0000b`, `${p}..`, `/${p}x`];
      await store.put(`${p}ok`, once('ok'));
      for (const key of bad) {
        let consumed = false;
        const body = (async function* () {
          consumed = true;
          yield Buffer.from('must not be written');
        })();
        await rejectsWithCode(store.put(key, body), 'invalid', 'invalid_storage_key', key);
        assert.equal(consumed, false, `the body of ${JSON.stringify(key)} was read`);
        await rejectsWithCode(store.get(key), 'invalid', 'invalid_storage_key', key);
        await rejectsWithCode(store.stat(key), 'invalid', 'invalid_storage_key', key);
        await rejectsWithCode(store.delete(key), 'invalid', 'invalid_storage_key', key);
        await rejectsWithCode(store.move(`${p}ok`, key), 'invalid', 'invalid_storage_key', key);
        await rejectsWithCode(store.move(key, `${p}ok2`), 'invalid', 'invalid_storage_key', key);
      }
      for (const prefix of ['/abs', `${p}a//`, `${p}../`, `${p}a\\b/`]) {
        await rejectsWithCode(store.listPage(prefix), 'invalid', 'invalid_storage_key', prefix);
        await rejectsWithCode(store.deletePrefix(prefix), 'invalid', 'invalid_storage_key', prefix);
      }
      assert.deepEqual(await listKeys(store, p), [`${p}ok`]);
    });

    it('a put whose body throws midway rejects with that error and leaves no object', async () => {
      await rejectsMessage(store.put(`${p}broken.pdf`, failingAfter(100_000)), /source broke/);
      assert.equal(await store.stat(`${p}broken.pdf`), null);
      assert.deepEqual(await listKeys(store, p), []);
    });

    it('a body that fails after 20 MiB (past one upload part) leaves no object either', async function () {
      this.timeout(120_000);
      await rejectsMessage(store.put(`${p}big-broken.bin`, failingAfter(20 * MiB)), /source broke/);
      assert.equal(await store.stat(`${p}big-broken.bin`), null);
      assert.deepEqual(await listKeys(store, p), []);
    });

    it('a failed overwrite keeps the previous object intact', async () => {
      await store.put(`${p}keep.pdf`, once('version one'));
      await rejectsMessage(store.put(`${p}keep.pdf`, failingAfter(50_000)), /source broke/);
      assert.equal((await readAll(await store.get(`${p}keep.pdf`))).toString(), 'version one');
    });

    it('an aborted put rejects and leaves no object', async () => {
      const controller = new AbortController();
      const body = (async function* () {
        for (let i = 0; ; i++) {
          if (i === 3) controller.abort();
          yield randomBytes(CHUNK);
        }
      })();
      await assert.rejects(store.put(`${p}aborted.bin`, body, { signal: controller.signal }), (e: Error) => e.name === 'AbortError');
      assert.equal(await store.stat(`${p}aborted.bin`), null);
    });

    it('a body shorter than the declared size is refused (blob_size_mismatch) and leaves no object', async () => {
      await rejectsWithCode(store.put(`${p}short.bin`, once('12345'), { size: 10 }), 'integrity', 'blob_size_mismatch');
      assert.equal(await store.stat(`${p}short.bin`), null);
    });

    it('streams a 100 MiB object in and out without holding it; sha256 and size match', async function () {
      this.timeout(300_000);
      const size = 100 * MiB;
      const sent = createHash('sha256');
      const rss = peakRss();
      const t0 = Date.now();
      const info = await store.put(`${p}big.bin`, randomStream(size, sent));
      const t1 = Date.now();
      const received = createHash('sha256');
      let count = 0;
      for await (const chunk of await store.get(`${p}big.bin`)) {
        received.update(chunk);
        count += chunk.length;
      }
      const t2 = Date.now();
      const peak = rss.stop();
      assert.equal(info.size, size);
      assert.equal(count, size);
      assert.equal(received.digest('hex'), sent.digest('hex'));
      assert.equal((await store.stat(`${p}big.bin`))?.size, size);
      if (process.env.CONTRACT_REPORT) {
        const mib = (n: number) => `${(n / MiB).toFixed(0)} MiB`;
        console.log(`      [${label}] 100 MiB put ${t1 - t0} ms, get ${t2 - t1} ms, RSS ${mib(rss.start)} before, peak ${mib(peak)}`);
      }
      await store.delete(`${p}big.bin`);
    });

    it('delete removes an object and is idempotent', async () => {
      await store.put(`${p}d/x.pdf`, once('x'));
      await store.delete(`${p}d/x.pdf`);
      assert.equal(await store.stat(`${p}d/x.pdf`), null);
      await store.delete(`${p}d/x.pdf`);
      await store.delete(`${p}never/existed.pdf`);
      assert.deepEqual(await listKeys(store, p), []);
    });

    it('deletePrefix removes only that prefix and returns the count', async () => {
      const doomed = [`${p}del/a`, `${p}del/b/c`, `${p}del/b/d/e`];
      const kept = [`${p}delx/f`, `${p}del.txt`, `${p}keep/g`];
      for (const key of [...doomed, ...kept]) await store.put(key, once(key));
      assert.equal(await store.deletePrefix(`${p}del/`), 3);
      assert.deepEqual(await listKeys(store, `${p}del/`), []);
      assert.deepEqual(await listKeys(store, p), [...kept].sort(byteOrder));
      assert.equal(await store.deletePrefix(`${p}del/`), 0);
      assert.equal(await store.deletePrefix(`${p}nothing/`), 0);
    });

    it('move makes the source disappear and the destination appear with the same bytes', async () => {
      const data = randomBytes(300_000);
      const to = `${p}moved/sub dir/Überweisung + 50% #1?.pdf`;
      await store.put(`${p}src.pdf`, chunked(data));
      await store.move(`${p}src.pdf`, to);
      assert.equal(await store.stat(`${p}src.pdf`), null);
      assert.deepEqual(await readAll(await store.get(to)), data);
      assert.deepEqual(await listKeys(store, p), [to]);
      await rejectsWithCode(store.move(`${p}ghost.pdf`, `${p}anywhere.pdf`), 'not_found', 'blob_not_found');
      assert.equal(await store.stat(`${p}anywhere.pdf`), null);
    });

    it('move refuses to overwrite an existing object: both stay as they were', async () => {
      const to = `${p}taken/Überweisung + 50% #1?.pdf`;
      await store.put(to, once('first'));
      await store.put(`${p}other.pdf`, once('other'));
      // Recognised by its fields: a plugin may carry its own copy of the error classes.
      await assert.rejects(store.move(`${p}other.pdf`, to), (e: { category?: string; code?: string }) => e.category === 'conflict' && e.code === 'blob_exists');
      assert.equal((await readAll(await store.get(to))).toString(), 'first');
      assert.equal((await readAll(await store.get(`${p}other.pdf`))).toString(), 'other');
    });
  });
}

// ---- helpers -------------------------------------------------------------------------------------

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function* once(data: string | Uint8Array): ByteStream {
  yield typeof data === 'string' ? Buffer.from(data) : data;
}

async function* chunked(data: Buffer, size = CHUNK): ByteStream {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** Pseudo-random bytes made chunk by chunk and hashed on the way out; never held whole. */
async function* randomStream(total: number, hash: Hash): ByteStream {
  for (let sent = 0; sent < total;) {
    const chunk = randomBytes(Math.min(CHUNK, total - sent));
    hash.update(chunk);
    sent += chunk.length;
    yield chunk;
  }
}

async function* failingAfter(bytes: number): ByteStream {
  for (let sent = 0; sent < bytes; sent += CHUNK) yield randomBytes(Math.min(CHUNK, bytes - sent));
  throw new Error('source broke midway');
}

async function readAll(stream: ByteStream): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function listKeys(store: BlobStore, prefix: string, limit?: number): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listPage(prefix, { cursor, limit });
    keys.push(...page.items.map((i) => i.key));
    cursor = page.cursor;
  } while (cursor);
  return keys;
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

async function rejectsMessage(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error) => pattern.test(error.message));
}

function assertRecent(date: Date, since: number): void {
  assert.ok(date instanceof Date && !Number.isNaN(date.getTime()), 'a valid Date');
  // S3 reports whole seconds, and clocks of remote servers drift a little.
  assert.ok(date.getTime() >= since - 5_000 && date.getTime() <= Date.now() + 5_000, `recent: ${date.toISOString()}`);
}

function peakRss(): { start: number; stop(): number } {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 50);
  return {
    start,
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}
