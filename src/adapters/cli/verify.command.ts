import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ArchiveLimits } from '../../application/ports/archive-reader.port';
import type { RecordStore } from '../../application/ports/record-store.port';
import { ValidateArchive, type BackupAnalysis } from '../../application/use-cases/validate-archive.use-case';
import { TarGzArchiveReader } from '../archive/tar-gz.archive-reader';
import { SystemClock } from '../system/system-clock';
import { CliCommand, parseArgs } from './command';

export interface VerifyOptions {
  /** Print the BackupAnalysis as JSON instead of a summary. */
  readonly json?: boolean;
  readonly stdout: { write(text: string): unknown };
  /** Where usage and I/O problems go; defaults to stdout. */
  readonly stderr?: { write(text: string): unknown };
  readonly limits?: Partial<ArchiveLimits>;
  /** When given, the analysis also says how many rows a restore would replace. */
  readonly records?: RecordStore;
}

export const VERIFY_EXIT = { valid: 0, invalid: 1, usage: 2 } as const;

/**
 * `aviary-backup verify <file>`: checks a backup archive the way analyze and restore do, without
 * a server. Exit code 0 when valid, 1 when invalid, 2 when the file cannot be read at all.
 */
export async function runVerify(file: string | undefined, options: VerifyOptions): Promise<number> {
  const err = options.stderr ?? options.stdout;
  if (!file) {
    err.write('usage: aviary-backup verify <backup.tar.gz> [--json]\n');
    return VERIFY_EXIT.usage;
  }
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    const validate = new ValidateArchive(new TarGzArchiveReader(options.limits), options.records ?? null, new SystemClock());
    const analysis = await validate.execute({ source: createReadStream(file), sizeBytes: info.size });
    options.stdout.write(options.json ? `${JSON.stringify(analysis, null, 2)}\n` : summary(file, analysis));
    return analysis.valid ? VERIFY_EXIT.valid : VERIFY_EXIT.invalid;
  } catch (error) {
    err.write(`aviary-backup verify: cannot read ${file}: ${(error as Error).message}\n`);
    return VERIFY_EXIT.usage;
  }
}

const n = (value: number) => value.toLocaleString('en-US');

function summary(file: string, a: BackupAnalysis): string {
  const out: string[] = [`${file}: ${a.valid ? 'VALID' : 'INVALID'}`];
  if (a.aviary_version || a.export_timestamp) {
    const v = a.version;
    const relation = v.comparison === 'unknown' ? 'compatibility unknown' : `${v.comparison} than ${v.service}`.replace('same than', 'same as');
    out.push(`  Aviary ${a.aviary_version || '?'} (${relation}), exported ${a.export_timestamp || '?'} from ${a.database_type || '?'}`);
  }
  if (a.version.requires_force) out.push('  Restore requires --force: the archive comes from a newer Aviary and holds data this service would drop');
  out.push(`  Users ${a.user_count}, API keys ${a.api_key_count}, documents ${a.document_count} (${n(a.total_size_bytes)} bytes)`);
  const tables = Object.entries(a.tables).map(([t, c]) => `${t} ${c}`).join(', ');
  if (tables) out.push(`  Tables: ${tables}`);
  const c = a.checksums;
  out.push(`  Checksums: ${c.present ? `${c.verified} verified, ${c.mismatches.length} mismatched` : 'none in the archive'}`);
  out.push(`  Archive: ${n(a.compressed_bytes)} bytes compressed, ${n(a.uncompressed_bytes)} uncompressed, ${n(a.entries)} entries`);
  for (const [title, list] of [['Errors', a.errors], ['Warnings', a.warnings]] as const) {
    if (list.length === 0) continue;
    out.push(`  ${title} (${list.length}):`, ...list.map((line) => `    - ${line}`));
  }
  return `${out.join('\n')}\n`;
}

/** `verify FILE [--json]`: needs no database or storage, so it runs anywhere the file is. */
export const verifyCommand: CliCommand = {
  name: 'verify',
  usage: 'verify FILE [--json]',
  summary: 'check a backup archive completely; exit 1 when it is invalid',
  run(args, io) {
    const { flags, positional } = parseArgs(args);
    return runVerify(positional[0], { json: flags.has('json'), stdout: io.stdout, stderr: io.stderr });
  },
};
