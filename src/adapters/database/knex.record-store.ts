import type { Knex } from '@mikro-orm/knex';
import type { RecordReader, RecordStore, RecordWriter, RowLineEncoding } from '../../application/ports/record-store.port';
import type { Engine } from './engine';
import { guarded, translateDriverError } from './driver-errors';
import { KnexRecordAccess, lineEncoding, type StoreStats } from './knex.record-access';
import type { WriterSlot } from './writer-slot';

type Body<T> = (trx: Knex.Transaction) => Promise<T>;

/** Restore commit markers (migration 0007). */
const MARKERS = 'aviary_restore_commits';
/**
 * Where versions before 0007 wrote them. 0007 moves those rows, but a replica still running the
 * older version during an upgrade may write one more: it is honoured and cleared here as well.
 */
const LEGACY_MARKERS = 'aviary_migration_runs';
const LEGACY_MARKER_KIND = 'commit-marker';

/** RecordStore over the knex of a MikroORM instance; snapshot semantics come from the engine. */
export class KnexRecordStore implements RecordStore {
  readonly kind: string;
  readonly lineEncoding?: RowLineEncoding;

  constructor(
    private readonly knex: Knex,
    private readonly engine: Engine,
    private readonly stats: StoreStats,
    /** Single-writer engines only: tells the lock store which write transaction is open. */
    private readonly writer?: WriterSlot,
  ) {
    this.kind = engine.kind;
    this.lineEncoding = lineEncoding(engine.dialect, knex);
  }

  readSnapshot<T>(work: (reader: RecordReader) => Promise<T>): Promise<T> {
    return this.run((body: Body<T>) => this.engine.snapshot(this.knex, body), work);
  }

  /** knex commits when `work` resolves and rolls back (rethrowing) when it rejects. */
  writeTransaction<T>(work: (writer: RecordWriter) => Promise<T>, options: { commitMarker?: string } = {}): Promise<T> {
    const marker = options.commitMarker;
    return this.run(
      (body: Body<T>) =>
        this.knex
          .transaction((trx) => {
            const inside = async () => {
              const result = await body(trx);
              if (marker) {
                await trx(MARKERS).insert({ marker_id: marker, committed_at: Date.now() });
              }
              return result;
            };
            return this.writer ? this.writer.around(trx, inside) : inside();
          })
          .finally(() => void this.writer?.ended()),
      work,
    );
  }

  async hasCommitMarker(marker: string): Promise<boolean> {
    const row = await guarded(this.engine, async () =>
      (await this.knex(MARKERS).where({ marker_id: marker }).first('marker_id')) ??
      this.knex(LEGACY_MARKERS).where({ id: marker, kind: LEGACY_MARKER_KIND }).first('id'),
    );
    return Boolean(row);
  }

  async clearCommitMarker(marker: string): Promise<void> {
    await guarded(this.engine, async () => {
      await this.knex(MARKERS).where({ marker_id: marker }).delete();
      await this.knex(LEGACY_MARKERS).where({ id: marker, kind: LEGACY_MARKER_KIND }).delete();
    });
  }

  /**
   * Errors of the transaction itself (begin, commit) are translated; errors thrown by `work` pass
   * through untouched, so e.g. a storage ENOENT is never mistaken for an unreachable database.
   */
  private async run<T>(open: (body: Body<T>) => Promise<T>, work: (access: RecordWriter) => Promise<T>): Promise<T> {
    let fromWork = false;
    try {
      return await open(async (trx) => {
        try {
          return await work(new KnexRecordAccess(trx, this.engine, this.stats));
        } catch (error) {
          fromWork = true;
          throw error;
        }
      });
    } catch (error) {
      throw fromWork ? error : translateDriverError(error, this.engine);
    }
  }
}
