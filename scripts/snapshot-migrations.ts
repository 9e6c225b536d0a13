// Writes test/fixtures/migrations/<name>.<dialect>.sql for every migration that has none yet.
// Never overwrites: a shipped migration's SQL is frozen, and the snapshot test holds it there.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { MIGRATIONS } from '../src/adapters/database/migrations/migration-list';
import { DIALECTS, renderMigration, SNAPSHOT_DIR, snapshotPath } from '../test/support/migration-sql';

async function main(): Promise<void> {
  mkdirSync(SNAPSHOT_DIR, { recursive: true });
  for (const entry of MIGRATIONS) {
    for (const dialect of DIALECTS) {
      const path = snapshotPath(entry.name, dialect);
      if (existsSync(path)) continue;
      writeFileSync(path, await renderMigration(entry, dialect));
      console.log(`wrote ${path}`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
