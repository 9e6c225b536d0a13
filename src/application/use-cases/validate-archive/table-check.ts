import type { ArchiveValue, TableDef } from '../../../domain/schema/column';
import { coerceValue, isUuid } from '../../../domain/schema/values';
import { UserSetBuilder } from '../restore/restore-scope';
import type { Findings } from './findings';
import { KeySet } from './key-set';

/** Where a user id was first referenced, for the error that names it. */
interface Reference {
  readonly entry: string;
  readonly row: number;
  readonly column: string;
}

/**
 * Keys are kept compactly: a UUID as 16 latin1 characters instead of 36. Measured on Node 20, a
 * Set of 1M 36-character keys costs ≈77 MB; compact keys save about a third. Only primary and
 * unique keys are kept, never rows: memory grows with row count (≈50 bytes a row), not row size.
 */
export function compactKey(value: ArchiveValue): string {
  const text = String(value);
  if (!isUuid(text)) return `s:${text}`;
  const hex = text.replace(/-/g, '');
  let key = '';
  for (let i = 0; i < 32; i += 2) key += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return key;
}

/** What the table checks learn across all table files, for the end-of-archive checks. */
export class TableFacts {
  readonly rowCounts: Record<string, number> = {};
  /** Tables whose file could not be read to the end (not an array, bad JSON…): their facts are partial. */
  readonly broken = new Set<string>();
  /** Ids (lower-case) and admins of users.json. */
  readonly users = new UserSetBuilder();
  get userIds(): ReadonlySet<string> {
    return this.users.ids;
  }
  /** Users whose rmapi_config is empty (a legacy pairing file may fill it). */
  readonly usersWithoutPairing = new Set<string>();
  /** First reference to each user id, per referencing column kind. */
  readonly ownerRefs = new Map<string, Reference>();
  readonly updaterRefs = new Map<string, Reference>();
  /** `table.column` of columns this service does not know that hold a value (not null, not ""). */
  readonly unknownColumnsWithValues = new Set<string>();
  /** Table files this service does not know that hold rows. */
  readonly unknownTablesWithRows = new Set<string>();
}

/**
 * Checks every row of one table file against the schema: each value coerces to its column's type
 * (absent columns take their defaults; columns without one must be present), primary and unique
 * keys are unique, and user references are collected for the end (users.json may come last).
 */
export async function checkTable(
  entry: string,
  def: TableDef,
  rows: AsyncIterable<Record<string, unknown>>,
  facts: TableFacts,
  findings: Findings,
): Promise<void> {
  const known = new Set(def.columns.map((c) => c.name));
  const unknown = new Set<string>();
  const enforced = [[def.primaryKey], ...def.columns.filter((c) => c.unique).map((c) => [c.name])];
  const uniqueSets = [
    ...enforced.map((columns) => ({ columns, seen: new KeySet(), dropped: false })),
    ...def.uniques.map((columns) => ({ columns, seen: new KeySet(), dropped: def.repeatsDropped === true })),
  ];
  let repeats = 0;
  let index = 0;
  for await (const row of rows) {
    const at = `${entry} row [${index}]`;
    const values: Record<string, ArchiveValue> = {};
    for (const col of def.columns) {
      if (!Object.prototype.hasOwnProperty.call(row, col.name)) {
        if (col.default === undefined) findings.error(`${at}: ${col.name} is missing`, entry);
        continue;
      }
      const result = coerceValue(col, row[col.name]);
      // PostgreSQL text cannot hold U+0000: refused here rather than at the INSERT of a restore.
      if (result.ok && typeof result.value === 'string' && result.value.includes('\u0000')) {
        findings.error(`${at}: ${col.name} contains a NUL character (\\u0000), which the database cannot store`, entry);
      } else if (result.ok) values[col.name] = result.value;
      else findings.error(`${at}: ${result.problem} (found ${preview(col.name, row[col.name])})`, entry);
    }
    for (const key of Object.keys(row)) {
      if (known.has(key)) continue;
      unknown.add(key);
      if (row[key] !== null && row[key] !== '') facts.unknownColumnsWithValues.add(`${def.name}.${key}`);
    }
    for (const u of uniqueSets) {
      const parts = u.columns.map((c) => values[c]);
      if (parts.some((p) => p === undefined || p === null)) continue;
      const key = parts.length === 1 ? String(parts[0]) : parts.map(compactKey).join('\u0000');
      if (u.seen.add(key)) continue;
      if (u.dropped) repeats++;
      else {
        const label = u.columns.length === 1 && u.columns[0] === def.primaryKey ? 'primary key' : 'unique key';
        findings.error(`${at}: duplicate ${label} ${u.columns.map((c, i) => `${c}=${JSON.stringify(parts[i])}`).join(', ')}`, entry);
      }
    }
    for (const fk of def.foreignKeys) {
      const id = values[fk.column];
      const refs = fk.column === 'updated_by' ? facts.updaterRefs : facts.ownerRefs;
      if (typeof id === 'string' && !refs.has(id)) refs.set(id, { entry, row: index, column: fk.column });
    }
    if (def.name === 'users' && typeof values.id === 'string') {
      facts.users.add(values);
      if ((values.rmapi_config ?? '') === '') facts.usersWithoutPairing.add(values.id);
    }
    index++;
  }
  facts.rowCounts[def.name] = index;
  if (repeats > 0) {
    const key = def.uniques.map((u) => `(${u.join(', ')})`).join(', ');
    findings.warn(`${entry}: ${repeats} row${repeats > 1 ? 's repeat' : ' repeats'} ${key} of an earlier row; Aviary never enforced that key, and a restore keeps the first row of each (Aviary rebuilds this cache)`);
  }
  if (unknown.size > 0) {
    findings.warn(`${entry}: unknown column${unknown.size > 1 ? 's' : ''} ${[...unknown].slice(0, 10).map((c) => JSON.stringify(c)).join(', ')} ignored`);
  }
}

// Credentials: an error names their column and shape, never their content.
const SECRET_COLUMNS = new Set(['password', 'key_hash', 'token_hash', 'rmapi_config', 'reset_token']);

function preview(column: string, value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  if (SECRET_COLUMNS.has(column) && value !== null && value !== undefined) {
    const kind = Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
    return `${kind} of ${text.length} characters, not shown`;
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * End-of-archive reference check: every user_id must name a user of users.json, or — when the
 * archive carries no users (a table-selective backup), so the restore keeps the current ones — a
 * current user. `kept` is null when the current users are unknown (no database at hand).
 */
export function checkReferences(facts: TableFacts, findings: Findings, kept: ReadonlySet<string> | null): void {
  if (facts.broken.has('users')) return; // users.json is already reported; every reference would be noise
  const carriesUsers = facts.userIds.size > 0;
  for (const [id, ref] of facts.ownerRefs) {
    if (facts.userIds.has(id)) continue;
    const at = `${ref.entry} row [${ref.row}]: ${ref.column} ${JSON.stringify(id)}`;
    if (carriesUsers) findings.error(`${at} refers to a user that is not in database/users.json`, 'dangling references');
    else if (kept === null) findings.warn(`${at}: the archive has no users, so this must be a user of the database it is restored into`, 'unresolved references');
    else if (!kept.has(id)) findings.error(`${at} refers to a user that is neither in the archive nor in this database`, 'dangling references');
  }
  // Aviary never cascades updated_by and its own restore clears it; a dangling one is not fatal.
  for (const [id, ref] of facts.updaterRefs) {
    if (!facts.userIds.has(id)) {
      findings.warn(`${ref.entry} row [${ref.row}]: ${ref.column} ${JSON.stringify(id)} refers to a user that is not in database/users.json; restore clears it`, 'dangling updated_by');
    }
  }
}
