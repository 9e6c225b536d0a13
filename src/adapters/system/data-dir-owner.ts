import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../config/app-config';
import { PRIVATE_FILE_MODE } from './private-files';

/**
 * One DATA_DIR belongs to one database. Two instances with different databases on one DATA_DIR would
 * overwrite each other's initial admin password and JWT secret, and each would remove the other's
 * restore uploads and (on the filesystem backend) documents as orphans. The first start records its
 * database here; a start with another database is refused, saying why.
 */
export const DATA_DIR_OWNER_FILE = '.aviary-backup-owner.json';

/** SQLite's default file: a DATA_DIR holding it but no owner file was written before the owner file existed. */
const LEGACY_SQLITE_FILE = 'aviary.db';
const LEGACY_SQLITE_IDENTITY = `sqlite:${LEGACY_SQLITE_FILE}`;

interface OwnerRecord {
  readonly database: string;
}

/** Throws a ConfigError when DATA_DIR belongs to a database other than `database` (an identity text). */
export async function checkDataDirOwner(dataDir: string, database: string): Promise<void> {
  const owner = await readOwner(dataDir);
  if (owner !== undefined && owner !== database) throw refusal(dataDir, owner, database);
}

/** Records `database` as the owner when none is recorded (after the backends were checked). */
export async function claimDataDir(dataDir: string, database: string): Promise<void> {
  const file = join(dataDir, DATA_DIR_OWNER_FILE);
  const record: OwnerRecord = { database };
  try {
    await writeFile(file, JSON.stringify(record) + '\n', { flag: 'wx', mode: PRIVATE_FILE_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // Two first starts racing: whichever wrote the file owns the folder.
  await checkDataDirOwner(dataDir, database);
}

async function readOwner(dataDir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, DATA_DIR_OWNER_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const legacy = await stat(join(dataDir, LEGACY_SQLITE_FILE)).then((s) => s.isFile(), () => false);
    return legacy ? LEGACY_SQLITE_IDENTITY : undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<OwnerRecord>;
    if (typeof parsed.database === 'string') return parsed.database;
  } catch {
    // reported below
  }
  throw new ConfigError([`DATA_DIR: ${join(dataDir, DATA_DIR_OWNER_FILE)} is not readable JSON: delete it to let this database own DATA_DIR`]);
}

function refusal(dataDir: string, owner: string, database: string): ConfigError {
  return new ConfigError([
    `DATA_DIR: ${dataDir} already holds the state of another database (${owner}); this instance uses ${database}. ` +
      'Two databases cannot share a DATA_DIR: their first-admin password file, JWT secret, restore uploads and stored files would collide. ' +
      'Give this database its own DATA_DIR (for example DATA_DIR=./data-postgres). ' +
      `If this database really replaced the other one (moved or renamed), delete ${DATA_DIR_OWNER_FILE} in DATA_DIR and start again.`,
  ]);
}
