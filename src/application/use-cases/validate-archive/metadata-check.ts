import { METADATA_ENTRY } from '../../../domain/archive/archive-format';
import type { MissingDocumentsSummary } from '../../../domain/archive/missing-documents';
import { canonicalTime } from '../../../domain/schema/values';

/** metadata.json as every Aviary generation wrote it; optional fields were added over time. */
export interface ArchiveMetadataRead {
  aviary_version: string;
  git_commit: string;
  /** Canonical RFC 3339 UTC. */
  export_timestamp: string;
  database_type: string;
  users_exported: string[];
  exported_tables: string[];
  total_documents?: number;
  total_size_bytes?: number;
  total_users?: number;
  total_api_keys?: number;
  /** Ours: rows per table. */
  tables?: Record<string, number>;
  /** Ours: document rows whose files were not in storage when the backup was written. */
  missing_documents?: MissingDocumentsSummary;
}

type Problem = string;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/**
 * Parses and type-checks metadata.json. Like Go's decoder (which Aviary uses), `null` counts as
 * absent; unlike it, a value of the wrong type is a problem rather than a silent zero.
 */
export function checkMetadata(text: string): { metadata?: ArchiveMetadataRead; problems: Problem[]; includeFiles?: boolean; includeConfigs?: boolean } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { problems: [`${METADATA_ENTRY} is not valid JSON (${(e as Error).message})`] };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { problems: [`${METADATA_ENTRY} is not a JSON object`] };
  }
  const m = raw as Record<string, unknown>;
  const problems: Problem[] = [];
  const bad = (field: string, expected: string) => problems.push(`${METADATA_ENTRY}: ${field} must be ${expected} (found ${JSON.stringify(m[field])})`);
  const present = (field: string) => m[field] !== undefined && m[field] !== null;

  const str = (field: string, required: boolean): string => {
    if (!present(field)) {
      if (required) problems.push(`${METADATA_ENTRY}: ${field} is missing`);
      return '';
    }
    if (typeof m[field] !== 'string') bad(field, 'a string');
    return typeof m[field] === 'string' ? (m[field] as string) : '';
  };
  const count = (field: string): number | undefined => {
    if (!present(field)) return undefined;
    if (!isCount(m[field])) bad(field, 'a non-negative integer');
    return isCount(m[field]) ? (m[field] as number) : undefined;
  };
  const list = (field: string): string[] => {
    if (!present(field)) return [];
    if (!isStringArray(m[field])) bad(field, 'an array of strings');
    return isStringArray(m[field]) ? [...(m[field] as string[])] : [];
  };

  const timestamp = str('export_timestamp', true);
  const canonical = timestamp === '' ? '' : canonicalTime(timestamp);
  if (canonical === null) bad('export_timestamp', 'an RFC 3339 time');
  const metadata: ArchiveMetadataRead = {
    aviary_version: str('aviary_version', true),
    git_commit: str('git_commit', false),
    export_timestamp: canonical ?? '',
    database_type: str('database_type', false),
    users_exported: list('users_exported'),
    exported_tables: list('exported_tables'),
    total_documents: count('total_documents'),
    total_size_bytes: count('total_size_bytes'),
    total_users: count('total_users'),
    total_api_keys: count('total_api_keys'),
    tables: tableCounts(m.tables),
    missing_documents: missingDocuments(m.missing_documents),
  };
  const flag = (field: string) => (typeof m[field] === 'boolean' ? (m[field] as boolean) : undefined);
  return { metadata, problems, includeFiles: flag('include_files'), includeConfigs: flag('include_configs') };
}

function missingDocuments(value: unknown): MissingDocumentsSummary | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { count, examples } = value as Record<string, unknown>;
  if (!isCount(count) || count === 0) return undefined;
  return { count, examples: isStringArray(examples) ? examples.slice(0, 5) : [] };
}

function tableCounts(value: unknown): Record<string, number> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, n]) => isCount(n));
  return Object.fromEntries(entries) as Record<string, number>;
}

/** Aviary's analyzer shows the export time as `2006-01-02 15:04:05 UTC`. */
export function aviaryTimestamp(canonical: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(canonical);
  return m ? `${m[1]} ${m[2]} UTC` : '';
}
