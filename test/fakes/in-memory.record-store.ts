import type { RecordReader, RecordStore, RecordWriter, RowFilter } from '../../src/application/ports/record-store.port';
import type { AviaryTableName } from '../../src/domain/schema/aviary-schema';
import { AVIARY_TABLES } from '../../src/domain/schema/aviary-schema';
import type { Row } from '../../src/domain/schema/column';

/** Rows kept in arrays, for use-case tests; the real adapters pass the record store contract suite. */
export class InMemoryRecordStore implements RecordStore {
  readonly kind = 'memory';
  tables = new Map<string, Row[]>(AVIARY_TABLES.map((t) => [t.name, []]));

  private reader(): RecordWriter {
    const match = (filter?: RowFilter) => (row: Row) => !filter || filter.in.includes(String(row[filter.column]));
    return {
      count: async (table: AviaryTableName, filter?: RowFilter) => this.tables.get(table)!.filter(match(filter)).length,
      stream: (table: AviaryTableName, filter?: RowFilter) => {
        const rows = this.tables.get(table)!.filter(match(filter)).map((r) => ({ ...r }));
        return (async function* () {
          yield* rows;
        })();
      },
      insert: async (table: AviaryTableName, rows: Iterable<Row> | AsyncIterable<Row>) => {
        let count = 0;
        for await (const r of rows) {
          this.tables.get(table)!.push({ ...r });
          count++;
        }
        return count;
      },
      delete: async (table: AviaryTableName, filter?: RowFilter) => {
        const all = this.tables.get(table)!;
        const keep = all.filter((r) => !match(filter)(r));
        this.tables.set(table, keep);
        return all.length - keep.length;
      },
    };
  }

  readSnapshot<T>(work: (reader: RecordReader) => Promise<T>): Promise<T> {
    return work(this.reader());
  }

  markers = new Set<string>();

  async writeTransaction<T>(work: (writer: RecordWriter) => Promise<T>, options: { commitMarker?: string } = {}): Promise<T> {
    const saved = new Map([...this.tables].map(([k, v]) => [k, [...v]]));
    try {
      const result = await work(this.reader());
      if (options.commitMarker) this.markers.add(options.commitMarker);
      return result;
    } catch (error) {
      this.tables = saved;
      throw error;
    }
  }

  async hasCommitMarker(marker: string): Promise<boolean> {
    return this.markers.has(marker);
  }

  async clearCommitMarker(marker: string): Promise<void> {
    this.markers.delete(marker);
  }
}
