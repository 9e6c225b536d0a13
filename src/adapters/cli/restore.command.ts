import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { isDomainError } from '../../domain/errors';
import type { BackupAnalysis } from '../../domain/archive/backup-analysis';
import type { RestoreReport } from '../../application/use-cases/restore-backup.use-case';
import { checkRestoreRequest } from '../../application/use-cases/restore/restore-request';
import { CliCommand, listFlag, parseArgs } from './command';
import { progressPrinter } from './progress';

/** Archive reads of 1 MiB: a sixteenth of the thread-pool round trips of the default 64 KiB. */
const READ_CHUNK = 1024 * 1024;

/**
 * `restore FILE`: the same RestoreBackup as the API (validation, lock, safety backup, all or
 * nothing). Shows what the archive holds and what it replaces, then asks; with --yes it does not
 * ask, so the archive is read once and the summary follows the restore.
 */
export const restoreCommand: CliCommand = {
  name: 'restore',
  usage: 'restore FILE [--users ID,…] [--no-database] [--no-files] [--force] [--no-safety-backup] [--allow-no-admin] [--yes]',
  summary: 'replace the current data with a backup archive',
  async run(args, io) {
    const { flags, positional } = parseArgs(args, ['users']);
    const file = positional[0];
    if (!file) {
      io.stderr.write(`usage: aviary-backup ${this.usage}\n`);
      return 2;
    }
    const size = (await stat(file).catch(() => null))?.size;
    if (size === undefined) {
      io.stderr.write(`cannot read ${file}\n`);
      return 2;
    }
    const request = {
      overwriteDatabase: !flags.has('no-database'),
      overwriteFiles: !flags.has('no-files'),
      userIds: listFlag(flags.get('users')).map((u) => u.toLowerCase()),
    };
    try {
      checkRestoreRequest(request);
    } catch (error) {
      io.stderr.write(`${(error as Error).message}\n`);
      return 2;
    }
    const service = await io.open(io.env);
    try {
      const open = async () => createReadStream(file, { highWaterMark: READ_CHUNK });
      if (!flags.has('yes')) {
        // The operator confirms what they have seen: the archive is analysed first, then restored.
        const selected = request.userIds.length > 0 ? new Set(request.userIds) : null;
        const analysis = await service.validate.execute({ source: await open(), sizeBytes: size, restore: { ...request, selected } });
        describe(io, file, analysis);
        if (!analysis.valid) return 1;
        if (analysis.restore_plan?.leaves_no_admin && !flags.has('allow-no-admin')) return refuseNoAdmin(io);
        if (!(await confirm(io))) {
          io.stderr.write('not restored\n');
          return 2;
        }
      }
      const progress = progressPrinter(io.stderr as NodeJS.WritableStream & { isTTY?: boolean }, 'restore', 'percent');
      let report: RestoreReport;
      try {
        report = await service.restore.execute({
          open,
          sizeBytes: size,
          ...request,
          confirmNoAdmin: flags.has('allow-no-admin'),
          force: flags.has('force'),
          safetyBackup: !flags.has('no-safety-backup'),
          adminUserId: null,
          onProgress: (phase, percent) => progress.update(phase, percent, 100),
        });
      } catch (error) {
        // With --yes the archive is read once: its refusals come out of the restore itself.
        if (!isDomainError(error)) throw error;
        if (error.code === 'archive_invalid') {
          const errors = Array.isArray(error.details?.errors) ? (error.details.errors as string[]) : [error.message];
          for (const e of errors) io.stderr.write(`error: ${e}\n`);
          io.stderr.write(`${file}: INVALID, not restored\n`);
          return 1;
        }
        if (error.code === 'restore_leaves_no_admin') return refuseNoAdmin(io);
        throw error;
      } finally {
        progress.done();
      }
      if (flags.has('yes')) describe(io, file, report.analysis);
      const rows = Object.values(report.rows).reduce((a, b) => a + b, 0);
      io.stdout.write(`restored ${rows} rows and ${report.filesRestored} files` +
        (report.safetyBackupJobId ? ` (safety backup job ${report.safetyBackupJobId})` : '') + '\n');
      return 0;
    } finally {
      await service.close();
    }
  },
};

/** What the archive holds and what it replaces. */
function describe(io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }, file: string, analysis: BackupAnalysis): void {
  io.stdout.write(`${file}: ${analysis.valid ? 'valid' : 'INVALID'} — Aviary ${analysis.aviary_version}, ${analysis.user_count} users, ` +
    `${analysis.api_key_count} API keys, ${analysis.document_count} documents (${analysis.total_size_bytes} bytes)\n`);
  for (const [table, counts] of Object.entries(analysis.restore_would_replace)) {
    io.stdout.write(`  ${table.padEnd(20)} now ${String(counts.current ?? '?').padStart(8)}  → from backup ${String(counts.archive).padStart(8)}\n`);
  }
  for (const w of analysis.warnings) io.stdout.write(`warning: ${w}\n`);
  for (const e of analysis.errors) io.stderr.write(`error: ${e}\n`);
}

function refuseNoAdmin(io: { stderr: NodeJS.WritableStream }): number {
  io.stderr.write('not restored: it would leave no active admin; pass --allow-no-admin to restore anyway\n');
  return 2;
}

async function confirm(io: { stdout: NodeJS.WritableStream & { isTTY?: boolean }; stderr: NodeJS.WritableStream }): Promise<boolean> {
  if (!process.stdin.isTTY) {
    io.stderr.write('refusing to restore without confirmation: pass --yes when not on a terminal\n');
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await rl.question('This replaces the current data. Type "restore" to continue: ')).trim() === 'restore';
  } finally {
    rl.close();
  }
}
