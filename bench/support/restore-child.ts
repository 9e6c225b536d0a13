/**
 * One measured restore, in its own process so its peak RSS is its own:
 *   restore-child.ts ARCHIVE.tar.gz DATA_DIR
 * Boots the service on DATA_DIR (must be empty: SQLite + filesystem storage), restores the archive
 * with RestoreBackup from the container (everyone, database and files, no safety backup), closes the
 * service and counts the document files now under DATA_DIR/users/<id>/pdfs/.
 * Prints one JSON line: workMs (RestoreBackup.execute), the time and largest sampled RSS of every
 * onProgress phase, peak RSS (process.resourceUsage), RSS before the work started, file counts.
 */
import 'reflect-metadata';
import { peakRssKb } from './peak-rss';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RestoreBackup, type RestorePhase } from '../../src/application/use-cases/restore-backup.use-case';
import { bootService } from '../../src/boot';

const [archive, dataDir] = process.argv.slice(2);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const kb = (n: number) => Math.round(n / 1024);

interface PhaseStat { phase: RestorePhase; startMs: number; ms: number; peakRssKb: number; peakHeapUsedKb: number; peakExternalKb: number }

/** Phase timeline from onProgress; a 50 ms sampler charges each RSS sample to the phase running then. */
function phaseTracker(started: number) {
  const phases: PhaseStat[] = [];
  let current: PhaseStat | undefined;
  const sample = () => {
    if (!current) return;
    const m = process.memoryUsage();
    current.peakRssKb = Math.max(current.peakRssKb, kb(m.rss));
    current.peakHeapUsedKb = Math.max(current.peakHeapUsedKb, kb(m.heapUsed));
    current.peakExternalKb = Math.max(current.peakExternalKb, kb(m.external));
  };
  const timer = setInterval(sample, 50);
  const close = (at: number) => {
    if (current) {
      sample();
      current.ms = at - started - current.startMs;
    }
  };
  return {
    phases,
    onProgress(phase: RestorePhase) {
      if (current?.phase === phase) return;
      const now = performance.now();
      close(now);
      current = { phase, startMs: now - started, ms: 0, peakRssKb: 0, peakHeapUsedKb: 0, peakExternalKb: 0 };
      phases.push(current);
      sample();
    },
    stop() {
      close(performance.now());
      clearInterval(timer);
    },
  };
}

/** Files below DATA_DIR/users/<id>/pdfs/ (where a filesystem store keeps documents). */
function countDocumentFiles(root: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.isFile()) {
        files++;
        bytes += statSync(path).size;
      }
    }
  };
  const users = join(root, 'users');
  for (const user of readdirSync(users, { withFileTypes: true })) {
    if (!user.isDirectory()) continue;
    const pdfs = join(users, user.name, 'pdfs');
    try {
      if (statSync(pdfs).isDirectory()) walk(pdfs);
    } catch {
      // a user without documents
    }
  }
  return { files, bytes };
}

async function main() {
  if (!archive || !dataDir) {
    console.error('usage: restore-child.ts ARCHIVE.tar.gz DATA_DIR');
    process.exit(2);
  }
  const bootStarted = performance.now();
  const service = await bootService({
    env: { DATA_DIR: dataDir, DB_TYPE: 'sqlite', STORAGE_BACKEND: 'filesystem', LOG_LEVEL: 'silent' },
    logger: quiet,
    background: false,
  });
  const bootMs = performance.now() - bootStarted;
  let result: Record<string, unknown>;
  try {
    const restore = service.container.get(RestoreBackup);
    const sizeBytes = statSync(archive).size;
    const baselineRssKb = kb(process.memoryUsage().rss);
    const started = performance.now();
    const tracker = phaseTracker(started);
    let report;
    try {
      report = await restore.execute({
        open: async () => createReadStream(archive, { highWaterMark: 1024 * 1024 }), // as the CLI reads it
        sizeBytes,
        overwriteDatabase: true,
        overwriteFiles: true,
        userIds: [],
        adminUserId: null,
        safetyBackup: false,
        onProgress: (phase) => tracker.onProgress(phase),
      });
    } finally {
      tracker.stop();
    }
    const workMs = performance.now() - started;
    result = {
      workMs,
      bootMs,
      baselineRssKb,
      maxRssKb: peakRssKb(),
      phases: tracker.phases,
      rows: report.rows,
      filesRestored: report.filesRestored,
      warnings: report.warnings.slice(0, 5),
      archiveDocuments: report.analysis.document_count,
      archiveDocumentBytes: report.analysis.total_size_bytes,
      uncompressedBytes: report.analysis.uncompressed_bytes,
    };
  } finally {
    await service.close();
  }
  const onDisk = countDocumentFiles(dataDir);
  console.log(JSON.stringify({ ...result, documentFilesOnDisk: onDisk.files, documentBytesOnDisk: onDisk.bytes }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
