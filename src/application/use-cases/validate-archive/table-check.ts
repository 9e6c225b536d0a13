import type { ArchiveValue, ColumnDef, Row, TableDef } from '../../../domain/schema/column';
import { canonicalValue, coerceValue, columnDefault, isUuid, NOT_CANONICAL } from '../../../domain/schema/values';
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

/** A primary or unique key of the table, with the positions of its columns in the table's. */
interface UniqueCheck {
  readonly columns: readonly string[];
  readonly at: readonly number[];
  readonly seen: KeySet;
  readonly dropped: boolean;
}

/**
 * Checks every row of one table file against the schema: each value coerces to its column's type
 * (absent columns take their defaults; columns without one must be present), primary and unique
 * keys are unique, and user references are collected for the end (users.json may come last).
 * Each row is then handed to `onRow` in its canonical form (see `PassCompanion.row`), so a
 * restore coerces every value once.
 */
export async function checkTable(
  entry: string,
  def: TableDef,
  batches: AsyncIterable<readonly Record<string, unknown>[]>,
  facts: TableFacts,
  findings: Findings,
  onRow?: (row: Row) => Promise<void>,
): Promise<void> {
  const check = new TableCheck(entry, def, facts, findings);
  for await (const batch of batches) {
    for (const raw of batch) {
      const row = check.row(raw);
      if (onRow) await onRow(row);
    }
  }
  check.finish();
}

/** The checks of one table file, row by row. */
class TableCheck {
  private readonly columns: readonly ColumnDef[];
  private readonly known: ReadonlySet<string>;
  private readonly unknown = new Set<string>();
  private readonly uniqueChecks: readonly UniqueCheck[];
  private readonly foreignKeys: readonly { column: string; at: number; refs: Map<string, Reference> }[];
  /** Per column of the current row: present in the archive with a value its column can hold. */
  private readonly valid: Uint8Array;
  private repeats = 0;
  private index = 0;

  constructor(
    private readonly entry: string,
    private readonly def: TableDef,
    private readonly facts: TableFacts,
    private readonly findings: Findings,
  ) {
    const columns = def.columns;
    const position = (name: string) => columns.findIndex((c) => c.name === name);
    const enforced = [[def.primaryKey], ...columns.filter((c) => c.unique).map((c) => [c.name])];
    this.columns = columns;
    this.known = new Set(columns.map((c) => c.name));
    this.uniqueChecks = [
      ...enforced.map((names) => ({ columns: names, dropped: false })),
      ...def.uniques.map((names) => ({ columns: names, dropped: def.repeatsDropped === true })),
    ].map((u) => ({ ...u, at: u.columns.map(position), seen: new KeySet() }));
    this.foreignKeys = def.foreignKeys.map((fk) => ({ column: fk.column, at: position(fk.column), refs: fk.column === 'updated_by' ? facts.updaterRefs : facts.ownerRefs }));
    this.valid = new Uint8Array(columns.length);
  }

  /** Checks one row; returns it in canonical form. */
  row(raw: Record<string, unknown>): Row {
    const row = this.canonical(raw);
    const { valid, entry } = this;
    for (const u of this.uniqueChecks) {
      const key = uniqueKey(u, row, valid);
      if (key === null || u.seen.add(key, this.index)) continue;
      this.repeated(u, this.index, u.columns.map((c) => `${c}=${JSON.stringify(row[c])}`).join(', '));
    }
    for (const fk of this.foreignKeys) {
      const id = row[fk.column];
      if (valid[fk.at] && typeof id === 'string' && !fk.refs.has(id)) fk.refs.set(id, { entry, row: this.index, column: fk.column });
    }
    if (this.def.name === 'users') noteUser(this.facts, validValues(this.columns, row, valid));
    this.index++;
    return row;
  }

  /**
   * The row's values coerced (each refusal a finding), and which of them are valid. A row with
   * exactly the table's columns in order (as ours are written) becomes canonical in place: no
   * second object per row, and only the values that change are stored.
   */
  private canonical(raw: Record<string, unknown>): Row {
    const { columns, valid, entry, findings } = this;
    const inPlace = hasColumnsInOrder(raw, columns);
    const row: Row = inPlace ? (raw as Row) : {};
    let present = 0;
    for (let i = 0; i < columns.length; i++) {
      const col = columns[i];
      valid[i] = 0;
      if (!inPlace && !Object.prototype.hasOwnProperty.call(raw, col.name)) {
        if (col.default === undefined) findings.error(`${this.at()}: ${col.name} is missing`, entry);
        row[col.name] = absentValue(col);
        continue;
      }
      present++;
      const found = raw[col.name];
      const value = canonicalValue(col, found);
      if (value === NOT_CANONICAL) {
        const result = coerceValue(col, found) as { problem: string };
        findings.error(`${this.at()}: ${result.problem} (found ${preview(col.name, found)})`, entry);
        row[col.name] = columnDefault(col);
        continue;
      }
      if (value !== found || !inPlace) row[col.name] = value;
      // PostgreSQL text cannot hold U+0000: refused here rather than at the INSERT of a restore.
      if (typeof value === 'string' && value.includes('\u0000')) {
        findings.error(`${this.at()}: ${col.name} contains a NUL character (\\u0000), which the database cannot store`, entry);
      } else valid[i] = 1;
    }
    if (!inPlace && present !== keyCount(raw)) this.noteUnknown(raw);
    return row;
  }

  private noteUnknown(raw: Record<string, unknown>): void {
    for (const key of Object.keys(raw)) {
      if (this.known.has(key)) continue;
      this.unknown.add(key);
      if (raw[key] !== null && raw[key] !== '') this.facts.unknownColumnsWithValues.add(`${this.def.name}.${key}`);
    }
  }

  /** A row whose key an earlier row has: a warning for keys Aviary never enforced, else an error. */
  private repeated(u: UniqueCheck, index: number, values: string): void {
    if (u.dropped) this.repeats++;
    else {
      const label = u.columns.length === 1 && u.columns[0] === this.def.primaryKey ? 'primary key' : 'unique key';
      this.findings.error(`${this.at(index)}: duplicate ${label} ${values}`, this.entry);
    }
  }

  /** Where a finding is: built only for one, most rows have none. */
  private at(index = this.index): string {
    return `${this.entry} row [${index}]`;
  }

  /** After the last row: the count, and the warnings about the whole file. */
  finish(): void {
    // UUID keys that came out of order are compared once the table has ended (see KeySet).
    for (const u of this.uniqueChecks) {
      for (const repeat of u.seen.laterRepeats()) this.repeated(u, repeat.row, `${u.columns[0]}=${JSON.stringify(repeat.key)}`);
    }
    const { def, entry, repeats, unknown } = this;
    this.facts.rowCounts[def.name] = this.index;
    if (repeats > 0) {
      const key = def.uniques.map((u) => `(${u.join(', ')})`).join(', ');
      this.findings.warn(`${entry}: ${repeats} row${repeats > 1 ? 's repeat' : ' repeats'} ${key} of an earlier row; Aviary never enforced that key, and a restore keeps the first row of each (Aviary rebuilds this cache)`);
    }
    if (unknown.size > 0) {
      this.findings.warn(`${entry}: unknown column${unknown.size > 1 ? 's' : ''} ${[...unknown].slice(0, 10).map((c) => JSON.stringify(c)).join(', ')} ignored`);
    }
  }
}

/**
 * What a restore writes for a column the row omits: its default, canonical. (A value validation
 * refuses becomes the column's default as it is; the restore never commits such an archive.)
 */
function absentValue(col: ColumnDef): ArchiveValue {
  const fallback = columnDefault(col);
  const value = canonicalValue(col, fallback);
  return value === NOT_CANONICAL ? fallback : value;
}

/**
 * Whether the row's keys are the columns, in the same order, and nothing else. Enumeration lists
 * own keys first, then inherited enumerable ones: any of those makes the count differ.
 */
function hasColumnsInOrder(raw: Record<string, unknown>, columns: readonly ColumnDef[]): boolean {
  let i = 0;
  for (const key in raw) {
    if (i === columns.length || key !== columns[i].name) return false;
    i++;
  }
  return i === columns.length;
}

/**
 * Keys of a parsed row, counted without the array `Object.keys` builds. Inherited enumerable keys
 * would count too: never fewer than the row's own, so a row with unknown keys is never missed.
 */
function keyCount(raw: Record<string, unknown>): number {
  let count = 0;
  for (const _ in raw) count++;
  return count;
}

/** The row's value of a key, as the key set keeps it; null when a part is absent, invalid or null. */
function uniqueKey(u: UniqueCheck, row: Row, valid: Uint8Array): string | null {
  if (u.at.length === 1) {
    const value = row[u.columns[0]];
    return valid[u.at[0]] && value !== null ? String(value) : null;
  }
  const parts: ArchiveValue[] = [];
  for (let i = 0; i < u.at.length; i++) {
    const value = row[u.columns[i]];
    if (!valid[u.at[i]] || value === null) return null;
    parts.push(value);
  }
  return parts.map(compactKey).join('\u0000');
}

/** The row's present and valid values, as the user checks read them. */
function validValues(columns: readonly ColumnDef[], row: Row, valid: Uint8Array): Row {
  const values: Row = {};
  for (let i = 0; i < columns.length; i++) if (valid[i]) values[columns[i].name] = row[columns[i].name];
  return values;
}

function noteUser(facts: TableFacts, values: Row): void {
  if (typeof values.id !== 'string') return;
  facts.users.add(values);
  if ((values.rmapi_config ?? '') === '') facts.usersWithoutPairing.add(values.id);
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
