import { MikroORM, type Options } from '@mikro-orm/core';
import type { AbstractSqlDriver, Knex } from '@mikro-orm/knex';
import type { Migrator } from '@mikro-orm/migrations';
import type { DatabaseBackend } from '../../application/ports/database.port';
import type { Logger } from '../../application/ports/system.port';
import { DEFAULT_SYSTEM_SETTINGS, systemSettings } from '../../domain/schema/aviary-schema';
import type { Engine } from './engine';
import { guarded } from './driver-errors';
import { declareDialect } from './migrations/dialect-of';
import { MIGRATION_NAMES, MIGRATIONS_TABLE } from './migrations/migration-names';
import { KnexAccountStore } from './knex.account-store';
import { KnexRecordStore } from './knex.record-store';
import { KnexBackupJobStore } from './knex.backup-job-store';
import { KnexLockStore } from './knex.lock-store';
import { KnexAttemptCounterStore } from './knex.attempt-counter-store';
import { KnexMigrationRunStore } from './knex.migration-run-store';
import { KnexHousekeepingStore } from './knex.housekeeping-store';
import { KnexRestoreUploadStore } from './knex.restore-upload-store';
import { KnexRestoreRunStore } from './knex.restore-run-store';
import type { StoreStats } from './knex.record-access';
import type { PostgresOptions } from './postgres.engine';
import type { SqliteOptions } from './sqlite.engine';
import { encodeRow, normaliseRow } from './value-codec';
import { WriterSlot } from './writer-slot';

export type MikroOrmDatabaseOptions = ({ kind: 'sqlite' } & SqliteOptions) | ({ kind: 'postgres' } & PostgresOptions);

const silent: Logger = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * One MikroORM-backed implementation for both built-in engines; nothing connects until first use.
 * Only the configured engine's driver is loaded (each costs megabytes in every process).
 */
export function createMikroOrmDatabase(options: MikroOrmDatabaseOptions, logger = silent): Promise<MikroOrmDatabase> {
  const engine = options.kind === 'sqlite'
    ? (require('./sqlite.engine') as typeof import('./sqlite.engine')).sqliteEngine(options)
    : (require('./postgres.engine') as typeof import('./postgres.engine')).postgresEngine(options);
  return createEngineDatabase(engine, logger);
}

/**
 * The database side of the service (every store, the migrations) on any engine: the built-in ones
 * and an outside plugin's (e.g. MariaDB through MikroORM's MySQL driver). Nothing connects until first use.
 */
export async function createEngineDatabase(engine: Engine, logger: Logger = silent): Promise<MikroOrmDatabase> {
  await engine.prepare();
  const orm = MikroORM.initSync<AbstractSqlDriver>({
    ...engine.ormOptions(),
    entities: [],
    discovery: { warnWhenNoEntities: false },
    migrations: {
      tableName: MIGRATIONS_TABLE,
      // The classes (and MikroORM's migrator) are loaded only when a migration is pending: see hasPending.
      migrationsList: [],
      // The MySQL family commits before every DDL statement: a transaction there would only pretend.
      transactional: engine.dialect !== 'mysql',
      allOrNothing: engine.dialect !== 'mysql',
      snapshot: false,
      silent: true,
    },
    logger: (message: string) => logger.debug(message),
  } as Options<AbstractSqlDriver>);
  declareDialect(orm.em.getDriver(), engine.dialect);
  return new MikroOrmDatabase(orm, engine);
}

export class MikroOrmDatabase implements DatabaseBackend {
  readonly kind: string;
  readonly records: KnexRecordStore;
  readonly accounts: KnexAccountStore;
  readonly jobs: KnexBackupJobStore;
  readonly locks: KnexLockStore;
  readonly attempts: KnexAttemptCounterStore;
  readonly migrationRuns: KnexMigrationRunStore;
  readonly uploads: KnexRestoreUploadStore;
  readonly restoreRuns: KnexRestoreRunStore;
  readonly housekeeping: KnexHousekeepingStore;
  /** Diagnostics, e.g. how many keyset pages streams have read. */
  readonly stats: StoreStats = { streamBatches: 0 };
  /** The knex of the ORM, for adapters of service tables (jobs, uploads) added by later migrations. */
  readonly knex: Knex;

  constructor(
    readonly orm: MikroORM<AbstractSqlDriver>,
    private readonly engine: Engine,
  ) {
    this.kind = engine.kind;
    this.knex = orm.em.getKnex();
    // SQLite has one write connection: lease renewals during a long restore go inside its transaction.
    const writer = engine.dialect === 'sqlite' ? new WriterSlot() : undefined;
    this.records = new KnexRecordStore(this.knex, engine, this.stats, writer);
    this.accounts = new KnexAccountStore(this.knex, engine);
    this.jobs = new KnexBackupJobStore(this.knex, engine);
    this.locks = new KnexLockStore(this.knex, engine, writer);
    this.attempts = new KnexAttemptCounterStore(this.knex, engine);
    this.migrationRuns = new KnexMigrationRunStore(this.knex, engine);
    this.uploads = new KnexRestoreUploadStore(this.knex, engine);
    this.restoreRuns = new KnexRestoreRunStore(this.knex, engine);
    this.housekeeping = new KnexHousekeepingStore(this.knex, engine);
  }

  /** Applies pending migrations, then adds missing default settings without touching existing ones. */
  migrate(): Promise<{ applied: string[] }> {
    return guarded(this.engine, () =>
      this.engine.exclusive(this.knex, async () => {
        const applied = (await this.hasPending()) ? await this.migrator().up() : [];
        await this.seedSettings();
        return { applied: applied.map((m) => m.name) };
      }),
    );
  }

  /**
   * Whether a migration of MIGRATION_NAMES is not recorded as applied. Asked first because MikroORM's
   * migrator (with umzug and its command-line helpers) costs ~13 MB of memory in every process,
   * and a database that is up to date — every start but the first after an upgrade — needs none of it.
   */
  private async hasPending(): Promise<boolean> {
    if (!(await this.knex.schema.hasTable(MIGRATIONS_TABLE))) return true;
    const rows: { name: string }[] = await this.knex(MIGRATIONS_TABLE).select('name');
    const applied = new Set(rows.map((r) => r.name.replace(/\.[jt]s$/, '')));
    return MIGRATION_NAMES.some((name) => !applied.has(name));
  }

  private migrator(): Migrator {
    this.orm.config.get('migrations').migrationsList = (require('./migrations/migration-list') as typeof import('./migrations/migration-list')).MIGRATIONS;
    (require('@mikro-orm/migrations') as typeof import('@mikro-orm/migrations')).Migrator.register(this.orm);
    return this.orm.migrator as Migrator;
  }

  async ping(): Promise<void> {
    await guarded(this.engine, () => this.knex.raw('select 1'));
  }

  async close(): Promise<void> {
    try {
      await this.engine.close();
    } finally {
      await this.orm.close(true);
    }
  }

  private async seedSettings(): Promise<void> {
    const now = new Date();
    const rows = DEFAULT_SYSTEM_SETTINGS.map((s) =>
      encodeRow(systemSettings, normaliseRow(systemSettings, { ...s }, now), this.engine.dialect),
    );
    await this.knex(systemSettings.name).insert(rows).onConflict('key').ignore();
  }
}
