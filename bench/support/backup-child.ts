/**
 * One Node contender of the backup bench, in its own process so its peak RSS is its own:
 *   backup-child.ts ours|archiver DATA_DIR OUT_FILE
 * Our archive is written as a backup job writes it: a put into filesystem storage (here rooted at
 * OUT_FILE's folder), a temp file renamed into place.
 * Prints one JSON line: work time, peak RSS (process.resourceUsage), RSS before the work started,
 * and the largest heap/external/arrayBuffers figures sampled while working.
 */
import 'reflect-metadata';
import { peakRssKb } from './peak-rss';
import { createWriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { RecordStore } from '../../src/application/ports/record-store.port';
import { TOKENS } from '../../src/application/ports/tokens';
import { CreateBackup } from '../../src/application/use-cases/create-backup.use-case';
import { TarGzArchiveEncoder } from '../../src/adapters/archive/tar-gz.archive-encoder';
import { FilesystemBlobStore } from '../../src/adapters/storage/filesystem.blob-store';
import { SystemClock } from '../../src/adapters/system/system-clock';
import { bootService } from '../../src/boot';
import { SERVICE_VERSION } from '../../src/service-version';

const [contender, dataDir, out] = process.argv.slice(2);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function sampler() {
  const peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  }, 100);
  return { peak, stop: () => clearInterval(timer) };
}

async function ours(): Promise<Record<string, unknown>> {
  const service = await bootService({ env: { DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, logger: quiet, background: false });
  try {
    const c = service.container;
    const backup = new CreateBackup(c.get<RecordStore>(TOKENS.RecordStore), c.get<BlobStore>(TOKENS.BlobStore),
      new TarGzArchiveEncoder(), new SystemClock(), quiet, SERVICE_VERSION);
    return await measure(async () => {
      const result = await backup.execute({
        options: { includeFiles: true, includeConfigs: true, userIds: [], tables: [] },
        sink: async (archive) => {
          await new FilesystemBlobStore({ root: dirname(out) }).put(basename(out), archive);
        },
      });
      return { documents: result.documents, warnings: result.warnings.length };
    });
  } finally {
    await service.close();
  }
}

async function archiver(): Promise<Record<string, unknown>> {
  const { TarArchive } = await import('archiver');
  return measure(async () => {
    const archive = new TarArchive({ gzip: true, gzipOptions: { level: 6 } });
    const file = createWriteStream(out);
    const failed = new Promise<never>((_, reject) => archive.on('error', reject));
    archive.pipe(file);
    archive.directory(join(dataDir, 'users'), 'users');
    await Promise.race([archive.finalize(), failed]);
    await finished(file);
    return {};
  });
}

async function measure(work: () => Promise<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const baselineRssKb = Math.round(process.memoryUsage().rss / 1024);
  const s = sampler();
  const started = performance.now();
  const extra = await work();
  const workMs = performance.now() - started;
  s.stop();
  const kb = (n: number) => Math.round(n / 1024);
  return {
    ...extra,
    workMs,
    baselineRssKb,
    maxRssKb: peakRssKb(),
    sampledPeakKb: { rss: kb(s.peak.rss), heapUsed: kb(s.peak.heapUsed), external: kb(s.peak.external), arrayBuffers: kb(s.peak.arrayBuffers) },
  };
}

const run = contender === 'ours' ? ours : contender === 'archiver' ? archiver : undefined;
if (!run || !dataDir || !out) {
  console.error('usage: backup-child.ts ours|archiver DATA_DIR OUT_FILE');
  process.exit(2);
}
run().then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
