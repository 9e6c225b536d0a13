import { BaseSqlitePlatform, type AbstractSqlDriver } from '@mikro-orm/knex';
import type { Dialect } from '../engine';

/** Dialects of drivers whose engine said which one it speaks (an outside engine's driver among them). */
const declared = new WeakMap<AbstractSqlDriver, Dialect>();

/** Called once per database, before migrating, with the dialect its engine declares. */
export function declareDialect(driver: AbstractSqlDriver, dialect: Dialect): void {
  declared.set(driver, dialect);
}

/** The dialect a migration runs against, read from the driver MikroORM hands it. */
export function dialectOf(driver: AbstractSqlDriver): Dialect {
  return declared.get(driver) ?? (driver.getPlatform() instanceof BaseSqlitePlatform ? 'sqlite' : 'postgres');
}
