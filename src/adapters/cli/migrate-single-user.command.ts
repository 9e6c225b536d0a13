import type { SingleToMultiPreview, SingleToMultiResult } from '../../application/use-cases/migrate-single-to-multi.use-case';
import { previewJson, reportJson } from '../http/single-to-multi.router';
import { CliCommand, parseArgs } from './command';
import { progressPrinter } from './progress';
import { formatBytes } from '../../domain/byte-size';

type Out = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * `migrate-single-user`: the single-user → multi-user migration of docs/single-to-multi.md on demand, or (--dry-run) its
 * preview. The startup run is held back during this boot so the command itself reports what it moved.
 */
export const migrateSingleUserCommand: CliCommand = {
  name: 'migrate-single-user',
  usage: 'migrate-single-user [--dry-run] [--json]',
  summary: 'move single-user documents, pairing and API_KEY to the first admin',
  async run(args, io) {
    const { flags, positional } = parseArgs(args);
    const unknown = [...flags.keys()].filter((f) => f !== 'dry-run' && f !== 'json');
    if (positional.length > 0 || unknown.length > 0) {
      io.stderr.write(`usage: aviary-backup ${this.usage}\n`);
      return 2;
    }
    const json = flags.has('json');
    const service = await io.open(io.env, { startupMigration: false });
    try {
      if (!service.multiUser) {
        io.stderr.write('MULTI_USER is off: the single-user → multi-user migration runs in multi-user mode only\n');
        return 2;
      }
      const migration = service.singleToMulti;
      if (flags.has('dry-run')) {
        const preview = await migration.preview();
        io.stdout.write(json ? `${JSON.stringify(previewJson(preview), null, 2)}\n` : describePreview(preview));
        return 0;
      }
      const progress = progressPrinter(io.stderr as Out, 'migration');
      const result = await migration.execute({ onProgress: (p) => progress.update('documents', p.bytesDone, p.bytesTotal) });
      progress.done();
      io.stdout.write(json ? `${JSON.stringify({ run_id: result.runId, status: result.status, ...reportJson(result.report) }, null, 2)}\n` : describeResult(result));
      return result.status === 'completed' ? 0 : 1;
    } finally {
      await service.close();
    }
  },
};


function describePreview(p: SingleToMultiPreview): string {
  const lines = [`target admin: ${p.targetUser ? `${p.targetUser.username} (${p.targetUser.id})` : 'none yet'}`];
  lines.push(`documents: ${p.documentCount} to move (${formatBytes(p.totalBytes)})`);
  for (const d of p.documents) lines.push(`  ${d.action.padEnd(15)} ${d.path} (${formatBytes(d.size)})${d.reason ? `: ${d.reason}` : ''}`);
  lines.push(`pairing file: ${!p.pairing.present ? 'absent' : p.pairing.willApply ? 'present, will be stored for the admin' : 'present, the admin is already paired (kept)'}`);
  lines.push(`API_KEY: ${p.apiKey === 'will-create' ? 'a key will be created for the admin' : p.apiKey === 'already-present' ? 'already migrated' : 'not set'}`);
  for (const w of p.warnings) lines.push(`warning: ${w}`);
  lines.push(p.pending ? 'run without --dry-run to migrate.' : 'nothing to migrate.');
  return `${lines.join('\n')}\n`;
}

function describeResult({ status, report, runId }: SingleToMultiResult): string {
  const lines = [`migration ${status} (run ${runId})`];
  lines.push(`documents moved: ${report.moved.length} (${formatBytes(report.bytes)}), skipped: ${report.skipped.length}, failed: ${report.failed.length}`);
  for (const f of report.failed) lines.push(`  failed  ${f.path}: ${f.reason}`);
  for (const s of report.skipped) lines.push(`  skipped ${s.path}: ${s.reason}`);
  lines.push(`pairing: ${report.pairing}`, `API_KEY: ${report.apiKey}`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
