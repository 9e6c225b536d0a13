/**
 * Backup speed and memory: our CreateBackup against GNU `tar czf`, archiver's TarArchive and (when
 * installed) `tar -I pigz`, over the same seeded document tree on tmpfs.
 *
 *   npm run bench -- backup [--sizes 200MB,2GB] [--reps 2] [--avg-doc 512KiB] [--seed 1] [--keep]
 *
 * Each contender runs in its own process (peak RSS is its own); the order alternates between
 * repetitions and medians are reported. Our archive is checked every time (gzip -t; tar tzf lists
 * metadata.json first, checksums.sha256 last and every document). Node contenders run compiled, as
 * the production image does; "ours (ts-node)" shows what `npm start` costs on top, and "ours semi=4MB"
 * the same compiled run with `node --max-semi-space-size=4`.
 */
import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BlobStore } from '../src/application/ports/blob-store.port';
import type { RecordStore } from '../src/application/ports/record-store.port';
import { TOKENS } from '../src/application/ports/tokens';
import { bootService } from '../src/boot';
import { formatBytes } from '../src/domain/byte-size';
import { byteSizeArgument as parseByteSize } from '../scripts/seed/size-argument';
import { seedData } from '../scripts/seed-data';
import { compileForBench } from './support/compile';
import { benchTmpRoot, hasCommand, hasGnuTime, median, runMeasured } from './support/measure';

interface Contender {
  readonly name: string;
  run(dataDir: string, out: string): Promise<{ ms: number; rssKb?: number; baselineRssKb?: number; detail?: unknown }>;
}

interface Sample { contender: string; rep: number; ms: number; outBytes: number; rssKb?: number; baselineRssKb?: number; detail?: unknown }

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '200MB,2GB' },
    reps: { type: 'string', default: '2' },
    'avg-doc': { type: 'string', default: '512KiB' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const reps = Math.max(1, Number(values.reps));
const root = mkdtempSync(join(benchTmpRoot(), 'aviary-bench-backup-'));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const failures: string[] = [];

function contenders(build: string): Contender[] {
  const node = (name: string, entry: string[], kind: string): Contender => ({
    name,
    async run(dataDir, out) {
      const m = await runMeasured(process.execPath, [...entry, kind, dataDir, out]);
      const child = JSON.parse(m.stdout.trim().split('\n').pop()!);
      return { ms: child.workMs, rssKb: child.maxRssKb, baselineRssKb: child.baselineRssKb, detail: child };
    },
  });
  const external = (name: string, args: (dataDir: string, out: string) => string[]): Contender => ({
    name,
    async run(dataDir, out) {
      const m = await runMeasured('tar', args(dataDir, out));
      return { ms: m.wallMs, rssKb: m.maxRssKb };
    },
  });
  const compiled = [join(build, 'bench/support/backup-child.js')];
  const list = [
    node('ours', compiled, 'ours'),
    external('GNU tar czf', (d, o) => ['czf', o, '-C', d, 'users']),
    node('archiver', compiled, 'archiver'),
    node('ours (ts-node)', ['-r', 'ts-node/register/transpile-only', join(__dirname, 'support/backup-child.ts')], 'ours'),
    // V8's young generation grows to 2 × 16 MB by default; capping it frees ArrayBuffers sooner.
    node('ours semi=4MB', ['--max-semi-space-size=4', ...compiled], 'ours'),
  ];
  if (hasCommand('pigz')) list.push(external('tar -I pigz', (d, o) => ['-I', 'pigz', '-cf', o, '-C', d, 'users']));
  else console.log('pigz is not installed: its row is skipped');
  return list;
}

async function seed(dataDir: string, bytes: number) {
  const documents = Math.max(20, Math.round(bytes / parseByteSize(values['avg-doc']!)));
  const users = Math.max(3, Math.ceil(documents / 150));
  const service = await bootService({ env: { DATA_DIR: dataDir, DB_TYPE: 'sqlite', STORAGE_BACKEND: 'filesystem' }, logger: quiet });
  try {
    const c = service.container;
    return await seedData({ records: c.get<RecordStore>(TOKENS.RecordStore), blobs: c.get<BlobStore>(TOKENS.BlobStore) },
      { users, documents, bytes, seed: values.seed });
  } finally {
    await service.close();
  }
}

/** Our archive must be complete: gzip intact, metadata first, checksums last, every document listed. */
async function verifyOurs(out: string, documents: number): Promise<string | null> {
  try {
    await runMeasured('gzip', ['-t', out]);
    const names = (await runMeasured('tar', ['tzf', out])).stdout.split('\n').filter(Boolean);
    const docs = names.filter((n) => n.startsWith('filesystem/documents/')).length;
    if (names[0] !== 'metadata.json') return `first entry is ${names[0]}, not metadata.json`;
    if (names[names.length - 1] !== 'checksums.sha256') return `last entry is ${names[names.length - 1]}`;
    if (docs !== documents) return `${docs} documents in the archive, ${documents} seeded`;
    return null;
  } catch (error) {
    return String(error);
  }
}

async function benchSize(label: string, build: string) {
  const bytes = parseByteSize(label);
  const dataDir = join(root, label, 'data');
  mkdirSync(dataDir, { recursive: true });
  const seeded = await seed(dataDir, bytes);
  console.log(`\n${label}: seeded ${seeded.documents.length} documents (${formatBytes(seeded.bytes)}) for ${seeded.users.length} users in ${(seeded.elapsedMs / 1000).toFixed(1)} s`);
  const list = contenders(build);
  const samples: Sample[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const c of rep % 2 === 0 ? list : [...list].reverse()) {
      const out = join(root, label, 'out.tar.gz');
      try {
        const r = await c.run(dataDir, out);
        const outBytes = statSync(out).size;
        samples.push({ contender: c.name, rep, outBytes, ...r });
        console.log(`  rep ${rep + 1} ${c.name.padEnd(15)} ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${r.rssKb ? `${Math.round(r.rssKb / 1024)} MB RSS` : ''}`);
        if (c.name.startsWith('ours')) {
          const problem = await verifyOurs(out, seeded.documents.length);
          if (problem) failures.push(`${label} ${c.name} rep ${rep + 1}: ARCHIVE INVALID: ${problem}`);
        }
      } catch (error) {
        failures.push(`${label} ${c.name} rep ${rep + 1}: ${String(error).slice(0, 500)}`);
      } finally {
        rmSync(out, { force: true });
      }
    }
  }
  rmSync(join(root, label), { recursive: true, force: true });
  return { label, bytes: seeded.bytes, documents: seeded.documents.length, users: seeded.users.length, seedMs: seeded.elapsedMs, samples, summary: summarise(list, samples, seeded.bytes) };
}

function summarise(list: readonly Contender[], samples: readonly Sample[], bytes: number) {
  const rows = list.map((c) => {
    const mine = samples.filter((s) => s.contender === c.name);
    const rss = mine.map((s) => s.rssKb).filter((v): v is number => v !== undefined);
    const base = mine.map((s) => s.baselineRssKb).filter((v): v is number => v !== undefined);
    const ms = mine.length ? median(mine.map((s) => s.ms)) : NaN;
    return {
      contender: c.name,
      runs: mine.length,
      seconds: ms / 1000,
      mibPerSecond: bytes / 1024 ** 2 / (ms / 1000),
      outBytes: mine.length ? median(mine.map((s) => s.outBytes)) : NaN,
      peakRssMb: rss.length ? Math.max(...rss) / 1024 : undefined,
      baselineRssMb: base.length ? Math.max(...base) / 1024 : undefined,
    };
  });
  const gnu = rows.find((r) => r.contender === 'GNU tar czf');
  return rows.map((r) => ({ ...r, speedVsGnuTar: gnu ? gnu.seconds / r.seconds : undefined }));
}

function table(result: Awaited<ReturnType<typeof benchSize>>): string {
  const f = (n: number | undefined, d = 1) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(d));
  const head = ['contender', 'time s', 'MiB/s', 'out MiB', 'out/in', 'peak RSS MB', 'RSS before MB', 'vs GNU tar'];
  const lines = result.summary.map((r) => [r.contender, f(r.seconds), f(r.mibPerSecond), f(r.outBytes / 1024 ** 2),
    f(r.outBytes / result.bytes, 3), f(r.peakRssMb, 0), f(r.baselineRssMb, 0), r.speedVsGnuTar ? `${f(r.speedVsGnuTar, 2)}×` : '–']);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const ours = result.summary.find((r) => r.contender === 'ours')!;
  const ratios = result.summary.filter((r) => !r.contender.startsWith('ours'))
    .map((r) => `${r.contender} ${f(r.seconds / ours.seconds, 2)}×`).join(', ');
  return [`${result.label}: ${result.documents} files, ${formatBytes(result.bytes)}, medians of ${reps}`, fmt(head),
    ...lines.map(fmt), `ours is faster than: ${ratios} (time ratio contender/ours)`].join('\n');
}

async function main() {
  console.log(`bench dir ${root} (${cpus().length} cores, node ${process.version}${hasGnuTime ? '' : ', no /usr/bin/time: no RSS for tar'})`);
  const build = compileForBench(join(root, 'build'));
  const results = [];
  for (const label of values.sizes!.split(',').map((s) => s.trim()).filter(Boolean)) results.push(await benchSize(label, build));
  console.log('');
  for (const r of results) console.log(table(r) + '\n');
  const resultsDir = join(benchTmpRoot(), 'aviary-bench-results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `backup-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), cores: cpus().length, node: process.version, reps, results, failures }, null, 2));
  console.log(`results: ${file}`);
  if (failures.length > 0) {
    console.error(`\n*** ${failures.length} FAILURE(S) ***\n${failures.join('\n')}`);
    process.exitCode = 1;
  }
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    if (!values.keep) rmSync(root, { recursive: true, force: true });
  });
