/**
 * Fills the configured database and storage (same env as the server: DATA_DIR, DB_TYPE,
 * STORAGE_BACKEND, S3_*, …) with realistic Aviary data:
 *
 *   npm run seed -- --users 20 --documents 2000 --bytes 2GB [--seed 7] [--login-attempts 100] [--concurrency 4]
 *
 * Seeded users log in with `password-<username>`; their API keys are printed for the first few.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import type { BlobStore } from '../src/application/ports/blob-store.port';
import type { RecordStore } from '../src/application/ports/record-store.port';
import { TOKENS } from '../src/application/ports/tokens';
import { bootService } from '../src/boot';
import { formatBytes } from '../src/domain/byte-size';
import { byteSizeArgument as parseByteSize } from './seed/size-argument';
import { SeedConflictError, seedData, SeedResult } from './seed-data';

function options() {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      documents: { type: 'string' },
      bytes: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'login-attempts': { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.users || !values.documents || !values.bytes) {
    console.error('usage: npm run seed -- --users N --documents M --bytes SIZE [--seed S] [--login-attempts K] [--concurrency C]');
    process.exit(values.help ? 0 : 2);
  }
  const count = (name: string, text: string | undefined) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(text)}`);
    return n;
  };
  return {
    users: count('users', values.users),
    documents: count('documents', values.documents),
    bytes: parseByteSize(values.bytes),
    seed: values.seed,
    loginAttempts: values['login-attempts'] === undefined ? undefined : count('login-attempts', values['login-attempts']),
    concurrency: Math.max(1, count('concurrency', values.concurrency)),
  };
}

function summary(result: SeedResult): string {
  const r = result.rows;
  const active = result.users.filter((u) => u.isActive);
  const lines = [
    `seeded in ${(result.elapsedMs / 1000).toFixed(1)} s:`,
    `  users            ${r.users} (${result.users.filter((u) => u.isAdmin).length} admin, ${result.users.length - active.length} inactive, ` +
      `${result.users.filter((u) => u.oidcSubject).length} with OIDC)`,
    `  api keys         ${r.api_keys}`,
    `  sessions         ${r.user_sessions}`,
    `  folder caches    ${r.user_folders_cache}`,
    `  login attempts   ${r.login_attempts}`,
    `  documents        ${r.documents} files, ${formatBytes(result.bytes)} (${result.bytes} bytes)`,
    'log in as (password-<username>), API key:',
    ...active.slice(0, 3).map((u) => `  ${u.username.padEnd(24)} ${u.password.padEnd(34)} ${u.apiKeys[0].key}`),
  ];
  return lines.join('\n');
}

async function main() {
  const opts = options();
  const service = await bootService({ env: process.env, background: false });
  try {
    const started = Date.now();
    let lastReport = 0;
    const result = await seedData(
      { records: service.container.get<RecordStore>(TOKENS.RecordStore), blobs: service.container.get<BlobStore>(TOKENS.BlobStore) },
      {
        ...opts,
        onProgress(done, total) {
          if (Date.now() - lastReport < 2000 && done < total) return;
          lastReport = Date.now();
          process.stderr.write(`  files: ${formatBytes(done)} of ${formatBytes(total)} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
        },
      },
    );
    console.log(summary(result));
  } finally {
    await service.close();
  }
}

main().catch((error) => {
  console.error(error instanceof SeedConflictError ? `seed refused: ${error.message}` : error);
  process.exit(1);
});
