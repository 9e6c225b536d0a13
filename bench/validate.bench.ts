/**
 * Validation speed and memory: ValidateArchive over a large archive of ours, next to `gzip -t` on
 * the same file in the same run (the floor: decompression alone, with GNU gzip's inflate).
 *
 *   npm run bench -- validate [--size-mb 2048] [--files 2000] [--rounds 2] [--dir DIR]
 *
 * The archive (pseudo-random, incompressible document data like PDFs, plus tables and a trailing
 * checksums.sha256) is written once with our writer and reused while its file exists. The
 * validator runs compiled in a child process; the order alternates between rounds.
 */
import { createCipheriv } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { parallelGzip } from '../src/adapters/archive/parallel-gzip';
import { tarStream, type TarEntrySource } from '../src/adapters/archive/tar-writer';
import { checksumLine } from '../src/domain/archive/archive-format';
import { ADMIN_ID, ALICE_ID, goJson, tables } from '../scripts/fixtures/aviary-rows';
import { metadataFor } from '../scripts/fixtures/compose';
import { compileForBench } from './support/compile';
import { benchTmpRoot, median, runMeasured } from './support/measure';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '2048' },
    files: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '2' },
    dir: { type: 'string', default: join(benchTmpRoot(), 'aviary-bench-validate') },
  },
});
const MiB = 1024 * 1024;
const totalBytes = Number(values['size-mb']) * MiB;
const fileCount = Number(values.files);
const rounds = Math.max(1, Number(values.rounds));

/** Deterministic incompressible bytes: an AES-CTR keystream, one stream per document. */
async function* randomBody(index: number, size: number): AsyncGenerator<Buffer> {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(index, 0);
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), iv);
  const zeros = Buffer.alloc(MiB);
  for (let left = size; left > 0; left -= MiB) yield cipher.update(zeros.subarray(0, Math.min(MiB, left)));
}

function documentSizes(): number[] {
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const weights = Array.from({ length: fileCount }, () => 0.5 + next());
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.floor((totalBytes * w) / sum));
  sizes[sizes.length - 1] += totalBytes - sizes.reduce((a, b) => a + b, 0);
  return sizes;
}

async function generate(path: string): Promise<void> {
  const sizes = documentSizes();
  const t = tables();
  const docs = sizes.map((size, i) => ({ name: `filesystem/documents/${i % 2 ? ALICE_ID : ADMIN_ID}/bench/${i}.pdf`, size }));
  const metadata = metadataFor(t, [], { total_documents: docs.length, total_size_bytes: totalBytes, total_users: t.users.length, total_api_keys: 1 });
  const lines: string[] = [];
  async function* entries(): AsyncGenerator<TarEntrySource> {
    const small = (name: string, text: string): TarEntrySource => ({ name, size: Buffer.byteLength(text), body: Buffer.from(text) });
    yield small('metadata.json', JSON.stringify(metadata, null, 2));
    for (const [name, rows] of Object.entries(t)) yield small(`database/${name}.json`, goJson(rows));
    for (const [i, d] of docs.entries()) yield { name: d.name, size: d.size, body: randomBody(i, d.size) };
    yield small('checksums.sha256', lines.join(''));
  }
  const partial = `${path}.partial`;
  const tar = tarStream(entries(), (written) => lines.push(checksumLine(written.sha256, written.name)));
  await pipeline(Readable.from(parallelGzip(tar, { concurrency: 4 })), createWriteStream(partial));
  renameSync(partial, path);
}

async function main() {
  mkdirSync(values.dir!, { recursive: true });
  const archive = join(values.dir!, `validate-${values['size-mb']}mb-${fileCount}f.tar.gz`);
  if (!existsSync(archive)) {
    const t0 = performance.now();
    console.log(`writing ${archive} …`);
    await generate(archive);
    console.log(`  written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } else console.log(`reusing ${archive}`);
  const compressed = statSync(archive).size;
  const build = compileForBench(mkdtempSync(join(benchTmpRoot(), 'aviary-bench-validate-build-')));
  const child = join(build, 'bench', 'support', 'validate-child.js');
  const ours: { ms: number; rssKb: number; detail: any }[] = [];
  const gzipT: { ms: number; rssKb?: number }[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const runOurs = async () => {
        const m = await runMeasured(process.execPath, [child, archive]);
        const detail = JSON.parse(m.stdout.trim().split('\n').pop()!);
        if (!detail.valid) throw new Error(`the bench archive did not validate: ${detail.errors.join('; ')}`);
        ours.push({ ms: detail.workMs, rssKb: detail.maxRssKb, detail });
      };
      const runGzip = async () => {
        const m = await runMeasured('gzip', ['-t', archive]);
        gzipT.push({ ms: m.wallMs, rssKb: m.maxRssKb });
      };
      for (const run of round % 2 ? [runOurs, runGzip] : [runGzip, runOurs]) await run();
    }
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
  const d = ours[0].detail;
  const rate = (ms: number) => (d.uncompressed_bytes / MiB / (ms / 1000)).toFixed(0);
  const oursMs = median(ours.map((o) => o.ms));
  const gzMs = median(gzipT.map((g) => g.ms));
  console.log(`\narchive: ${(compressed / MiB).toFixed(0)} MiB compressed, ${(d.uncompressed_bytes / MiB).toFixed(0)} MiB of tar, ${d.entries} entries, ${d.verified} checksums verified`);
  console.log('contender              wall (median)   uncompressed MiB/s   peak RSS');
  console.log(`ValidateArchive        ${(oursMs / 1000).toFixed(2).padStart(8)} s   ${rate(oursMs).padStart(12)}         ${(Math.max(...ours.map((o) => o.rssKb)) / 1024).toFixed(0)} MiB (baseline ${(d.baselineRssKb / 1024).toFixed(0)} MiB)`);
  console.log(`gzip -t                ${(gzMs / 1000).toFixed(2).padStart(8)} s   ${rate(gzMs).padStart(12)}         ${gzipT[0].rssKb ? (gzipT[0].rssKb / 1024).toFixed(0) + ' MiB' : '?'}`);
  console.log(`ratio ValidateArchive / gzip -t: ${(oursMs / gzMs).toFixed(2)} (all runs: ours ${ours.map((o) => (o.ms / 1000).toFixed(2)).join(', ')} s; gzip -t ${gzipT.map((g) => (g.ms / 1000).toFixed(2)).join(', ')} s)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
