import { BaseSqlitePlatform, type AbstractSqlDriver } from '@mikro-orm/knex';
import type { Dialect } from '../engine';

/** The dialect a migration runs against, read from the driver MikroORM hands it. */
export function dialectOf(driver: AbstractSqlDriver): Dialect {
  return driver.getPlatform() instanceof BaseSqlitePlatform ? 'sqlite' : 'postgres';
}
