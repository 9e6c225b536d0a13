import { createHash } from 'node:crypto';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import type { RecordStore } from '../../src/application/ports/record-store.port';
import { listAll } from '../../src/application/use-cases/blob-listing';
import { AVIARY_TABLES, AviaryTableName } from '../../src/domain/schema/aviary-schema';
import type { Row } from '../../src/domain/schema/column';

export interface State {
  tables: Record<string, Row[]>;
  /** sha256 of every object under users/ (documents and legacy pairing files). */
  files: Record<string, string>;
}

/** Every row of every Aviary table and the hash of every user file: what "nothing changed" means. */
export async function captureState(records: RecordStore, blobs: BlobStore): Promise<State> {
  const tables: Record<string, Row[]> = {};
  await records.readSnapshot(async (reader) => {
    for (const table of AVIARY_TABLES) {
      const rows: Row[] = [];
      for await (const row of reader.stream(table.name as AviaryTableName)) rows.push(row);
      tables[table.name] = rows;
    }
  });
  const files: Record<string, string> = {};
  for await (const blob of listAll(blobs, 'users/')) {
    const hash = createHash('sha256');
    for await (const chunk of await blobs.get(blob.key)) hash.update(chunk);
    files[blob.key] = hash.digest('hex');
  }
  return { tables, files };
}
