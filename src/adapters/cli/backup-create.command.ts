import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DatabaseBackend } from '../../application/ports/database.port';
import { BACKUP_RESTORE_LOCK } from '../../application/ports/lock-store.port';
import { checkBackupRequest, type BackupRequest, type QueueBackup } from '../../application/use-cases/queue-backup.use-case';
import type { RunBackupJob } from '../../application/use-cases/run-backup-job.use-case';
import type { BackupOptions } from '../../domain/backup-job';
import { localHolder, PROCESS_TAG } from '../system/process-liveness';
import { CliCommand, listFlag, parseArgs } from './command';
import { progressPrinter } from './progress';

/**
 * `backup create`: the same CreateBackup as the API. Into storage as a listed job (default), or
 * straight into a local file with --output (written under a temporary name, renamed when complete).
 */
export const backupCreateCommand: CliCommand = {
  name: 'backup',
  usage: 'backup create [--users ID,…] [--no-files] [--no-configs] [--tables T,…] [--output FILE]',
  summary: 'make a backup now (into storage, or into FILE)',
  async run(args, io) {
    const { flags, positional } = parseArgs(args, ['users', 'tables', 'output']);
    if (positional[0] !== 'create') {
      io.stderr.write('usage: aviary-backup ' + this.usage + '\n');
      return 2;
    }
    const request: BackupRequest = {
      includeFiles: !flags.has('no-files'),
      includeConfigs: !flags.has('no-configs'),
      userIds: listFlag(flags.get('users')),
      tables: listFlag(flags.get('tables')),
    };
    // Checked before anything is opened, then again with the database (do the users exist?).
    const early = await checked(() => checkBackupRequest(request));
    if ('refusal' in early) {
      io.stderr.write(`${early.refusal}\n`);
      return 2;
    }
    const service = await io.open(io.env);
    const progress = progressPrinter(io.stderr as NodeJS.WritableStream & { isTTY?: boolean }, 'backup');
    const onProgress = (p: { phase: string; bytesDone: number; bytesTotal: number }) => progress.update(p.phase, p.bytesDone, p.bytesTotal);
    try {
      const queue = service.queueBackup;
      const full = await checked(() => queue.check(request));
      if ('refusal' in full) {
        io.stderr.write(`${full.refusal}\n`);
        return 2;
      }
      const options = full.value;
      const output = flags.get('output');
      if (typeof output === 'string') {
        const target = resolve(output);
        const temp = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
        try {
          const result = await service.createBackup.execute({
            options,
            onProgress,
            sink: (archive) => pipeline(Readable.from(archive), createWriteStream(temp, { flags: 'wx', mode: 0o600 })),
          });
          await rename(temp, target);
          progress.done();
          io.stdout.write(`backup written to ${output}: ${result.documents} documents, ${Object.values(result.tables).reduce((a, b) => a + b, 0)} rows\n`);
          for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
          return 0;
        } catch (error) {
          await rm(temp, { force: true });
          throw error;
        }
      }
      return await runAsJob(service.database, queue, service.runBackupJob, options, io, progress);
    } finally {
      await service.close();
    }
  },
};

async function runAsJob(
  db: DatabaseBackend,
  queue: QueueBackup,
  runner: RunBackupJob,
  options: BackupOptions,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  progress: ReturnType<typeof progressPrinter>,
): Promise<number> {
  const holder = localHolder('backup');
  if (!(await db.locks.acquire(BACKUP_RESTORE_LOCK, holder, 10 * 60_000, 'backup (cli)'))) {
    io.stderr.write('another backup or restore is running; try again when it has finished\n');
    return 1;
  }
  try {
    const queued = await queue.execute({ request: options, adminUserId: null, trigger: 'cli', wake: false });
    const job = await db.jobs.claim(queued.id, PROCESS_TAG);
    if (!job) throw new Error('the job was taken by a running service; see the backup list');
    const poll = setInterval(async () => {
      const current = await db.jobs.get(job.id).catch(() => null);
      if (current) progress.update(current.phase, current.bytesDone, current.bytesTotal);
    }, 1000);
    const finished = await runner.execute(job, PROCESS_TAG).finally(() => clearInterval(poll));
    progress.done();
    if (finished?.status !== 'completed') {
      io.stderr.write(`backup failed: ${finished?.errorMessage ?? 'unknown error'}\n`);
      return 1;
    }
    io.stdout.write(`backup ${finished.filename} stored (${finished.fileSize} bytes, job ${finished.id})\n`);
    for (const w of finished.warnings) io.stderr.write(`warning: ${w}\n`);
    return 0;
  } finally {
    await db.locks.release(BACKUP_RESTORE_LOCK, holder);
  }
}

/** Runs a check of the request: an invalid one becomes its reason (exit 2); any other error is thrown. */
async function checked<T>(check: () => T | Promise<T>): Promise<{ value: T } | { refusal: string }> {
  try {
    return { value: await check() };
  } catch (error) {
    const { category, message } = (error ?? {}) as { category?: string; message?: string };
    if (category !== 'invalid') throw error;
    return { refusal: String(message) };
  }
}
