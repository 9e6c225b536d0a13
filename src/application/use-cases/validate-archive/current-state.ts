import { AVIARY_TABLE_NAMES } from '../../../domain/schema/aviary-schema';
import type { RecordStore } from '../../ports/record-store.port';
import { UserSetBuilder, type UserSet } from '../restore/restore-scope';

/** What the database holds now, as far as an analysis or a restore plan needs it. */
export interface CurrentState {
  readonly counts: Record<string, number>;
  readonly users: UserSet;
}

/** Row counts of every Aviary table and the current users, from one snapshot. */
export function readCurrentState(records: RecordStore): Promise<CurrentState> {
  return records.readSnapshot(async (reader) => {
    const counts: Record<string, number> = {};
    for (const table of AVIARY_TABLE_NAMES) counts[table] = await reader.count(table);
    const users = new UserSetBuilder();
    for await (const row of reader.stream('users')) users.add(row);
    return { counts, users };
  });
}
