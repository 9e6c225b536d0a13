import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parallelGzip } from '../../src/adapters/archive/parallel-gzip';

function random(size: number, label = 'r'): Buffer {
  const key = createHash('sha256').update(label).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

function text(size: number): Buffer {
  const words = 'the quick brown fox jumps over a lazy dog while reading on a tablet '.repeat(Math.ceil(size / 60));
  return Buffer.from(words.slice(0, size), 'latin1');
}

async function* chunks(data: Buffer, size = 65536): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function gzip(data: Buffer, options: Parameters<typeof parallelGzip>[1] = {}, chunkSize?: number): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const piece of parallelGzip(chunks(data, chunkSize), options)) out.push(piece);
  return Buffer.concat(out);
}

describe('parallelGzip', () => {
  const mixed = Buffer.concat([text(300_000), random(3_000_000), text(700_000), random(1_500_000, 'b'), text(10)]);

  for (const [name, data] of [['empty', Buffer.alloc(0)], ['tiny', text(3)], ['text', text(2_500_000)], ['random', random(2_500_000)], ['mixed', mixed]] as const) {
    it(`round-trips ${name} data through one gzip member`, async () => {
      const gz = await gzip(data, { blockSize: 256 * 1024 }, 65536);
      assert.ok(gunzipSync(gz).equals(data));
      assert.equal(spawnSync('gzip', ['-t'], { input: gz }).status, 0, 'gzip -t accepts it');
    });
  }

  it('stores random blocks (no expansion beyond headers) and still compresses the text around them', async () => {
    const gz = await gzip(mixed, { blockSize: 256 * 1024 }, 65536);
    const randomBytes = 4_500_000;
    assert.ok(gz.length < randomBytes * 1.001 + gzipSync(text(1_000_010)).length * 1.2, `archive of ${gz.length} bytes`);
    const stored = await gzip(random(1_000_000), { blockSize: 256 * 1024 });
    assert.ok(stored.length <= 1_000_000 + Math.ceil(1_000_000 / 65535) * 5 + 64, `random: ${stored.length} bytes`);
  });

  it('joins stored and compressed blocks across odd chunk sizes and block boundaries', async () => {
    for (const chunkSize of [1, 777, 65536, 100_000]) {
      const data = Buffer.concat([random(200_000), text(150_000), random(300_000, 'c')]);
      const gz = await gzip(data, { blockSize: 96 * 1024, concurrency: 3 }, chunkSize);
      assert.ok(gunzipSync(gz).equals(data), `chunks of ${chunkSize}`);
    }
  });

  it('deflates everything when storing is turned off', async () => {
    const gz = await gzip(random(600_000), { storeIncompressible: false, blockSize: 128 * 1024 });
    assert.ok(gunzipSync(gz).equals(random(600_000)));
  });

  it('is one gzip member to Python\'s zlib, which reads it to the end', function () {
    if (spawnSync('python3', ['--version']).status !== 0) this.skip();
    return gzip(mixed, { blockSize: 256 * 1024 }).then((gz) => {
      const py = spawnSync('python3', ['-c', 'import sys,zlib; d=zlib.decompressobj(31); out=d.decompress(sys.stdin.buffer.read()); assert d.eof and not d.unused_data; print(len(out))'], { input: gz });
      assert.equal(py.status, 0, py.stderr.toString());
      assert.equal(Number(py.stdout.toString().trim()), mixed.length);
    });
  });
});
