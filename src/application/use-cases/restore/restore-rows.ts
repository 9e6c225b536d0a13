import { AVIARY_TABLES, AviaryTableName } from '../../../domain/schema/aviary-schema';
import type { Row } from '../../../domain/schema/column';
import type { RecordWriter, RowLineEncoding } from '../../ports/record-store.port';
import type { RowSpool, SpoolEncoding } from '../../ports/row-spool.port';

export interface RowRestorePlan {
  /** Null: the whole database is replaced by the archive's tables; else only these users. */
  readonly selectedUsers: ReadonlySet<string> | null;
  /** Users that exist after the restore (for references such as system_settings.updated_by). */
  readonly finalUsers: ReadonlySet<string>;
  /** Pairing text per user, applied where the archive's own rmapi_config is empty. */
  readonly pairings: ReadonlyMap<string, string>;
}

/** Tables whose rows `adjust` may change, or whose repeats are dropped, at commit. */
const CHANGED_AT_COMMIT: ReadonlySet<string> = new Set(['users', 'system_settings', ...AVIARY_TABLES.filter((t) => t.repeatsDropped).map((t) => t.name)]);

/**
 * What a restore may spool in the store's line form: every table whose rows are written exactly as
 * spooled (the large ones: documents, login attempts…), which then reach the database without
 * being decoded again. The others stay rows. Undefined when the store has no line form.
 */
export function spoolEncodingFor(encoding: RowLineEncoding | undefined): SpoolEncoding | undefined {
  if (!encoding) return undefined;
  return { encoding, tables: new Set(AVIARY_TABLES.filter((t) => !CHANGED_AT_COMMIT.has(t.name) && encoding.encodes(t)).map((t) => t.name)) };
}

const PARENTS_FIRST = AVIARY_TABLES.map((t) => t.name as AviaryTableName);
// system_settings points at users without cascade: it goes before users when deleting.
const CHILDREN_FIRST: AviaryTableName[] = ['api_keys', 'user_sessions', 'user_folders_cache', 'documents', 'system_settings', 'login_attempts', 'users'];

/**
 * Replaces rows inside the caller's transaction. A full restore replaces every table the archive
 * carries (a table the archive lacks keeps its rows, minus those of users that no longer exist);
 * a selective one touches only the selected users' rows. Returns rows inserted per table.
 */
export async function restoreRows(writer: RecordWriter, spool: RowSpool, plan: RowRestorePlan): Promise<Record<string, number>> {
  const present = new Set(spool.tables());
  const selected = plan.selectedUsers ? [...plan.selectedUsers] : null;
  for (const table of CHILDREN_FIRST) {
    if (!present.has(table)) continue;
    const def = AVIARY_TABLES.find((t) => t.name === table)!;
    if (selected) {
      if (def.userColumn) await writer.delete(table, { column: def.userColumn, in: selected });
    } else {
      await writer.delete(table);
    }
  }
  const inserted: Record<string, number> = {};
  for (const table of PARENTS_FIRST) {
    if (!present.has(table)) continue;
    const def = AVIARY_TABLES.find((t) => t.name === table)!;
    if (selected && !def.userColumn) continue;
    const firstOfEach = def.repeatsDropped ? new Set<string>() : null;
    async function* kept(): AsyncIterable<Row> {
      for await (const row of spool.rows(table)) {
        if (firstOfEach) {
          const key = JSON.stringify(def.uniques.map((u) => u.map((c) => row[c])));
          if (firstOfEach.has(key)) continue; // repeats of a key Aviary never enforced (see the analysis warning)
          firstOfEach.add(key);
        }
        yield adjust(table, row, plan);
      }
    }
    inserted[table] = spool.encoded(table) ? await loadLines(writer, table, spool) : await writer.insert(table, kept());
  }
  return inserted;
}

function loadLines(writer: RecordWriter, table: AviaryTableName, spool: RowSpool): Promise<number> {
  // The lines came from this store's own encoding, which comes with its loader.
  if (!writer.loadLines) throw new Error(`${table} was spooled in a line form the database cannot load`);
  return writer.loadLines(table, spool.lines(table), spool.stage);
}

function adjust(table: string, row: Row, plan: RowRestorePlan): Row {
  if (table === 'users') {
    const pairing = plan.pairings.get(String(row.id));
    if (pairing && !row.rmapi_config) return { ...row, rmapi_config: pairing };
  }
  if (table === 'system_settings' && typeof row.updated_by === 'string' && !plan.finalUsers.has(row.updated_by)) {
    return { ...row, updated_by: null };
  }
  return row;
}
