/**
 * Restore speed and memory: our RestoreBackup (one pass that validates, verifies every sha256 and
 * stages, then database + file swap) against GNU `tar xzf` of the same archive and `gzip -t` (one
 * decompression pass), on tmpfs.
 *
 *   npm run bench -- restore [--sizes 200MB,2GB] [--reps 2] [--users 10] [--doc-size 1MB] [--seed 1]
 *                            [--rss-limit-mb 200] [--dir DIR]
 *
 * Per size: a SQLite + filesystem DATA_DIR is seeded (documents ≈ size / doc-size), one archive is made
 * with CreateBackup and kept in DIR (reused on later runs while it exists, keyed by size, users,
 * documents and seed), the seeded DATA_DIR is deleted. Each rep then runs the three contenders in
 * alternating order, each on a fresh empty directory that is deleted right after: ours in a child
 * process (compiled, as the production image runs) that boots the service on an empty DATA_DIR and
 * reports its restore time, its phases (onProgress) and its own peak RSS, and checks that every
 * document of the archive is on disk afterwards. Medians are reported. Our child reads the archive
 * file as the CLI does (1 MiB reads).
 * Fails (exit 1) on any failed run, a document count mismatch, or a peak RSS above --rss-limit-mb (0: no limit).
 */
import 'reflect-metadata';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import type { BlobStore } from '../src/application/ports/blob-store.port';
import type { RecordStore } from '../src/application/ports/record-store.port';
import { TOKENS } from '../src/application/ports/tokens';
import { CreateBackup } from '../src/application/use-cases/create-backup.use-case';
import { bootService } from '../src/boot';
import { SERVICE_VERSION } from '../src/service-version';
import { formatBytes } from '../src/domain/byte-size';
import { byteSizeArgument as parseByteSize } from '../scripts/seed/size-argument';
import { seedData } from '../scripts/seed-data';
import { compileForBench } from './support/compile';
import { benchTmpRoot, hasGnuTime, median, runMeasured } from './support/measure';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '200MB,2GB' },
    reps: { type: 'string', default: '2' },
    users: { type: 'string', default: '10' },
    'doc-size': { type: 'string', default: '1MB' },
    seed: { type: 'string', default: '1' },
    'rss-limit-mb': { type: 'string', default: '200' },
    dir: { type: 'string', default: join(benchTmpRoot(), 'aviary-bench-restore') },
  },
});
const reps = Math.max(1, Number(values.reps));
const rssLimitMb = Number(values['rss-limit-mb']);
const MiB = 1024 ** 2;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const failures: string[] = [];

interface ArchiveInfo { file: string; compressedBytes: number; documents: number; documentBytes: number; users: number; reused: boolean; seedMs?: number; backupMs?: number }
interface Sample { contender: string; rep: number; ms: number; rssKb?: number; detail?: any }
const CONTENDERS = ['ours', 'tar xzf', 'gzip -t'] as const;
type ContenderName = (typeof CONTENDERS)[number];

/** The archive for one size, from the cache when a previous run left it; else seeded and backed up now. */
async function archiveFor(label: string, scratch: string): Promise<ArchiveInfo> {
  const bytes = parseByteSize(label);
  const users = Math.max(1, Number(values.users));
  const documents = Math.max(20, Math.round(bytes / parseByteSize(values['doc-size']!)));
  const name = `restore-${bytes}b-${users}u-${documents}d-seed${values.seed}-v${SERVICE_VERSION}`;
  const file = join(values.dir!, `${name}.tar.gz`);
  const metaFile = join(values.dir!, `${name}.json`);
  if (existsSync(file) && existsSync(metaFile)) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
    return { ...meta, file, compressedBytes: statSync(file).size, reused: true };
  }
  const dataDir = join(scratch, `seed-${label}`);
  try {
    const service = await bootService({ env: { DATA_DIR: dataDir, DB_TYPE: 'sqlite', STORAGE_BACKEND: 'filesystem', LOG_LEVEL: 'silent' }, logger: quiet, background: false });
    try {
      const c = service.container;
      const seeded = await seedData({ records: c.get<RecordStore>(TOKENS.RecordStore), blobs: c.get<BlobStore>(TOKENS.BlobStore) },
        { users, documents, bytes, seed: values.seed });
      console.log(`${label}: seeded ${seeded.documents.length} documents (${formatBytes(seeded.bytes)}) for ${seeded.users.length} users in ${(seeded.elapsedMs / 1000).toFixed(1)} s`);
      const partial = `${file}.partial`;
      const t0 = performance.now();
      const result = await c.get(CreateBackup).execute({
        options: { includeFiles: true, includeConfigs: true, userIds: [], tables: [] },
        sink: async (archive) => pipeline(Readable.from(archive), createWriteStream(partial)),
      });
      const backupMs = performance.now() - t0;
      if (result.documents !== seeded.documents.length) throw new Error(`the backup holds ${result.documents} documents, ${seeded.documents.length} were seeded`);
      const meta = { documents: result.documents, documentBytes: result.documentBytes, users: seeded.users.length, seedMs: seeded.elapsedMs, backupMs };
      writeFileSync(metaFile, JSON.stringify(meta, null, 2));
      renameSync(partial, file);
      console.log(`${label}: archive ${formatBytes(statSync(file).size)} written in ${(backupMs / 1000).toFixed(1)} s: ${file}`);
      return { ...meta, file, compressedBytes: statSync(file).size, reused: false };
    } finally {
      await service.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(`${file}.partial`, { force: true });
  }
}

async function runOnce(contender: ContenderName, archive: ArchiveInfo, scratch: string, childJs: string): Promise<Omit<Sample, 'contender' | 'rep'>> {
  if (contender === 'gzip -t') {
    const m = await runMeasured('gzip', ['-t', archive.file]);
    return { ms: m.wallMs, rssKb: m.maxRssKb };
  }
  const dir = mkdtempSync(join(scratch, contender === 'ours' ? 'restore-' : 'tar-'));
  try {
    if (contender === 'tar xzf') {
      const m = await runMeasured('tar', ['xzf', archive.file, '-C', dir]);
      return { ms: m.wallMs, rssKb: m.maxRssKb };
    }
    const m = await runMeasured(process.execPath, [childJs, archive.file, dir]);
    const detail = JSON.parse(m.stdout.trim().split('\n').pop()!);
    const problems = [
      detail.documentFilesOnDisk !== archive.documents && `${detail.documentFilesOnDisk} document files on disk, the archive holds ${archive.documents}`,
      detail.archiveDocuments !== archive.documents && `the analysis counted ${detail.archiveDocuments} documents, the backup wrote ${archive.documents}`,
      detail.filesRestored !== archive.documents && `the report says ${detail.filesRestored} files restored, the archive holds ${archive.documents}`,
      detail.documentBytesOnDisk !== archive.documentBytes && `${detail.documentBytesOnDisk} document bytes on disk, the archive holds ${archive.documentBytes}`,
    ].filter(Boolean);
    if (problems.length > 0) throw new Error(`RESTORE INCOMPLETE: ${problems.join('; ')}`);
    return { ms: detail.workMs, rssKb: detail.maxRssKb, detail: { ...detail, processWallMs: m.wallMs, gnuTimeMaxRssKb: m.maxRssKb } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchSize(label: string, scratch: string, childJs: string) {
  const archive = await archiveFor(label, scratch);
  if (archive.reused) console.log(`${label}: reusing ${archive.file} (${formatBytes(archive.compressedBytes)}, ${archive.documents} documents)`);
  const samples: Sample[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const contender of rep % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse()) {
      try {
        const r = await runOnce(contender, archive, scratch, childJs);
        samples.push({ contender, rep, ...r });
        const phases = r.detail?.phases?.map((p: any) => `${p.phase} ${(p.ms / 1000).toFixed(1)}`).join(', ');
        console.log(`  rep ${rep + 1} ${contender.padEnd(8)} ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${r.rssKb ? `${Math.round(r.rssKb / 1024)} MB RSS` : ''}${phases ? `  (${phases})` : ''}  load ${loadavg()[0].toFixed(1)}`);
      } catch (error) {
        failures.push(`${label} ${contender} rep ${rep + 1}: ${String(error).slice(0, 800)}`);
        console.log(`  rep ${rep + 1} ${contender.padEnd(8)} FAILED: ${String(error).slice(0, 300)}`);
      }
    }
  }
  const summary = summarise(samples, archive);
  const ours = summary.rows.find((r) => r.contender === 'ours');
  if (rssLimitMb > 0 && ours?.peakRssMb !== undefined && ours.peakRssMb > rssLimitMb) {
    failures.push(`${label}: peak RSS of our restore ${ours.peakRssMb.toFixed(0)} MB is above the ${rssLimitMb} MB limit`);
  }
  return { label, archive, samples, ...summary };
}

function summarise(samples: readonly Sample[], archive: ArchiveInfo) {
  const rows = CONTENDERS.map((contender) => {
    const mine = samples.filter((s) => s.contender === contender);
    const rss = mine.map((s) => s.rssKb).filter((v): v is number => v !== undefined);
    const ms = mine.length ? median(mine.map((s) => s.ms)) : NaN;
    return { contender, runs: mine.length, seconds: ms / 1000, mibPerSecond: archive.documentBytes / MiB / (ms / 1000), peakRssMb: rss.length ? Math.max(...rss) / 1024 : undefined };
  });
  const at = (name: ContenderName) => rows.find((r) => r.contender === name)!.seconds;
  const ratios = { oursVsTarXzf: at('ours') / at('tar xzf'), oursVsGzipT: at('ours') / at('gzip -t') };
  // Median duration and largest RSS per restore phase, over our runs.
  const ourDetails = samples.filter((s) => s.contender === 'ours').map((s) => s.detail);
  const phaseNames = [...new Set(ourDetails.flatMap((d) => d.phases.map((p: any) => p.phase as string)))];
  const phases = phaseNames.map((phase) => {
    const hits = ourDetails.map((d) => d.phases.find((p: any) => p.phase === phase)).filter(Boolean);
    return { phase, seconds: median(hits.map((p: any) => p.ms)) / 1000, peakRssMb: Math.max(...hits.map((p: any) => p.peakRssKb)) / 1024,
      peakHeapUsedMb: Math.max(...hits.map((p: any) => p.peakHeapUsedKb)) / 1024 };
  });
  const baseline = ourDetails.length ? Math.max(...ourDetails.map((d) => d.baselineRssKb)) / 1024 : undefined;
  const bootSeconds = ourDetails.length ? median(ourDetails.map((d) => d.bootMs)) / 1000 : undefined;
  return { rows, ratios, phases, baselineRssMb: baseline, bootSeconds };
}

function table(r: Awaited<ReturnType<typeof benchSize>>): string {
  const f = (n: number | undefined, d = 1) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(d));
  const grid = (head: string[], lines: string[][]) => {
    const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
    const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    return [fmt(head), ...lines.map(fmt)];
  };
  const a = r.archive;
  const ours = r.rows.find((x) => x.contender === 'ours')!;
  return [
    `${r.label}: ${a.documents} documents, ${formatBytes(a.documentBytes)} of documents, ${a.users} users; archive ${formatBytes(a.compressedBytes)}; medians of ${reps}`,
    ...grid(['contender', 'wall s', 'doc MiB/s', 'peak RSS MB'],
      r.rows.map((x) => [x.contender === 'ours' ? 'ours (RestoreBackup)' : x.contender, f(x.seconds, 2), f(x.mibPerSecond, 0), f(x.peakRssMb, 0)])),
    `ours ÷ tar xzf = ${f(r.ratios.oursVsTarXzf, 2)}×   ours ÷ gzip -t = ${f(r.ratios.oursVsGzipT, 2)}×   ` +
      `our RSS before the restore ${f(r.baselineRssMb, 0)} MB, boot ${f(r.bootSeconds, 2)} s (not in wall)`,
    `our phases (median s, largest sampled RSS):`,
    ...grid(['  phase', 's', 'share', 'RSS MB', 'heapUsed MB'],
      r.phases.map((p) => [`  ${p.phase}`, f(p.seconds, 2), `${f((100 * p.seconds) / ours.seconds, 0)}%`, f(p.peakRssMb, 0), f(p.peakHeapUsedMb, 0)])),
  ].join('\n');
}

async function main() {
  mkdirSync(values.dir!, { recursive: true });
  const scratch = mkdtempSync(join(values.dir!, 'run-'));
  const loadBefore = loadavg();
  console.log(`bench dir ${values.dir} (${cpus().length} cores, node ${process.version}, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}` +
    `${hasGnuTime ? '' : ', no /usr/bin/time: no RSS for tar and gzip'})`);
  const results = [];
  try {
    const build = compileForBench(join(scratch, 'build'));
    const childJs = join(build, 'bench', 'support', 'restore-child.js');
    for (const label of values.sizes!.split(',').map((s) => s.trim()).filter(Boolean)) {
      try {
        results.push(await benchSize(label, scratch, childJs));
      } catch (error) {
        failures.push(`${label}: ${String(error).slice(0, 800)}`);
        console.error(error);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const loadAfter = loadavg();
  console.log('');
  for (const r of results) console.log(table(r) + '\n');
  console.log(`load average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')} (${cpus().length} cores)`);
  const file = join(values.dir!, `restore-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), cores: cpus().length, node: process.version, loadBefore, loadAfter, reps, rssLimitMb, results, failures }, null, 2));
  console.log(`results: ${file}`);
  if (failures.length > 0) {
    console.error(`\n*** ${failures.length} FAILURE(S) ***\n${failures.join('\n')}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
