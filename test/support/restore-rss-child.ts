/**
 * Restores one archive into a fresh service (SQLite + filesystem, own temp dir) and prints, as one
 * JSON line, how it ended and the process's peak RSS. Run as a child so the figure is its own:
 * node -r ts-node/register/transpile-only -r reflect-metadata test/support/restore-rss-child.ts FILE
 */
import { RestoreBackup } from '../../src/application/use-cases/restore-backup.use-case';
import { startTestService } from './service';
import { fullRestoreOf } from './full-restore';

async function main(file: string): Promise<void> {
  const t = await startTestService({ AUTH_USERNAME: 'bootstrap', AUTH_PASSWORD: 'bootstrap-password' });
  let outcome: { ok: boolean; category?: string; code?: string; message?: string };
  try {
    await t.service.container!.get(RestoreBackup).execute(await fullRestoreOf(file));
    outcome = { ok: true };
  } catch (error) {
    const e = error as { category?: string; code?: string; message?: string };
    outcome = { ok: false, category: e.category, code: e.code, message: e.message };
  } finally {
    await t.stop();
  }
  // maxRSS is in kilobytes.
  process.stdout.write(`${JSON.stringify({ ...outcome, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
}

main(process.argv[2]).catch((error) => {
  console.error(error);
  process.exit(1);
});
