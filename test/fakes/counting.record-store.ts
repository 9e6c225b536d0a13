import type { RecordReader, RecordStore, RecordWriter } from '../../src/application/ports/record-store.port';
import type { AviaryTableName } from '../../src/domain/schema/aviary-schema';
import type { Row } from '../../src/domain/schema/column';

/** A read-only fake that only knows row counts: enough for analysis tests. */
export class CountingRecordStore implements RecordStore {
  readonly kind = 'fake';
  snapshots = 0;

  constructor(private readonly counts: Partial<Record<AviaryTableName, number>> = {}) {}

  async readSnapshot<T>(work: (reader: RecordReader) => Promise<T>): Promise<T> {
    this.snapshots++;
    const counts = this.counts;
    return work({
      async count(table) {
        return counts[table] ?? 0;
      },
      async *stream(): AsyncIterable<Row> {
        // no rows
      },
    });
  }

  async writeTransaction<T>(_work: (writer: RecordWriter) => Promise<T>): Promise<T> {
    throw new Error('CountingRecordStore is read-only');
  }

  async hasCommitMarker(): Promise<boolean> {
    return false;
  }

  async clearCommitMarker(): Promise<void> {}
}

export const fixedClock = (at = new Date('2025-09-01T12:00:00Z')) => ({ now: () => at });
