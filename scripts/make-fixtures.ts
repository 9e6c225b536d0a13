/**
 * Regenerates test/fixtures/archives/ (run: node -r ts-node/register/transpile-only scripts/make-fixtures.ts).
 * Output is deterministic: fixed ids, times, tar mtimes, bcrypt salts and gzip settings, so a
 * rerun changes no byte. index.json lists every archive with the outcome validation must give;
 * credentials.json holds the plaintext passwords and API key behind the fixtures' hashes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CREDENTIALS } from './fixtures/aviary-rows';
import { HISTORICAL, type FixtureDef } from './fixtures/historical';
import { HOSTILE } from './fixtures/hostile';
import { HOSTILE_MORE } from './fixtures/hostile-more';

const OUT = join(__dirname, '..', 'test', 'fixtures', 'archives');

async function emit<E>(fixture: FixtureDef<E>, kind: 'historical' | 'hostile') {
  const data = await fixture.build();
  const path = join(OUT, fixture.file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, data);
  console.log(`${String(data.length).padStart(9)}  ${fixture.file}`);
  return { file: fixture.file, kind, description: fixture.description, ...(fixture.limits ? { limits: fixture.limits } : {}), expect: fixture.expect };
}

async function main() {
  const index = [];
  for (const f of HISTORICAL) index.push(await emit(f, 'historical'));
  for (const f of [...HOSTILE, ...HOSTILE_MORE]) index.push(await emit(f, 'hostile'));
  await writeFile(join(OUT, 'index.json'), JSON.stringify({ generated_by: 'scripts/make-fixtures.ts', fixtures: index }, null, 2) + '\n');
  await writeFile(join(OUT, 'credentials.json'), JSON.stringify(CREDENTIALS, null, 2) + '\n');
  console.log(`${index.length} fixtures (${HISTORICAL.length} historical, ${HOSTILE.length + HOSTILE_MORE.length} hostile)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
