import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// scripts/build-state.js is plain CommonJS run by `npm start`, `prepare` and the CLI.
const { isStale, markBuilt } = require('../../scripts/build-state.js') as { isStale(base: string): boolean; markBuilt(startedAt: Date, base: string): void };

/** `npm start` compiles only when a source is newer than the last build. */
describe('build staleness (npm start, prepare, the CLI in a checkout)', () => {
  let base: string;
  const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'aviary-build-'));
    await mkdir(join(base, 'src', 'adapters'), { recursive: true });
    await mkdir(join(base, 'dist'));
    await writeFile(join(base, 'src', 'adapters', 'a.ts'), 'export {};\n');
    await writeFile(join(base, 'tsconfig.json'), '{}\n');
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  async function age(path: string, seconds: number) {
    await utimes(join(base, path), at(seconds), at(seconds));
  }

  it('a checkout without a build is stale; after a build it is not; a newer source makes it stale again', async () => {
    assert.equal(isStale(base), true);
    for (const p of ['src/adapters/a.ts', 'src/adapters', 'src', 'tsconfig.json']) await age(p, 10);
    markBuilt(at(20), base);
    assert.equal(isStale(base), false);
    await writeFile(join(base, 'src', 'adapters', 'a.ts'), 'export const x = 1;\n');
    await age('src/adapters/a.ts', 30);
    assert.equal(isStale(base), true);
  });

  it('a source saved while the compiler ran (after it started) counts as newer than that build', async () => {
    for (const p of ['src/adapters/a.ts', 'src/adapters', 'src', 'tsconfig.json']) await age(p, 10);
    await age('src/adapters/a.ts', 25);
    markBuilt(at(20), base); // the compiler started at 20 and finished later
    assert.equal(isStale(base), true);
  });

  it('a deleted source (its folder changes) and a changed tsconfig count too', async () => {
    await writeFile(join(base, 'src', 'adapters', 'b.ts'), 'export {};\n');
    for (const p of ['src/adapters/a.ts', 'src/adapters/b.ts', 'src/adapters', 'src', 'tsconfig.json']) await age(p, 10);
    markBuilt(at(20), base);
    await rm(join(base, 'src', 'adapters', 'b.ts'));
    await age('src/adapters', 30); // what the kernel does to the folder, with a clear margin
    assert.equal(isStale(base), true);
    await age('src/adapters', 10);
    assert.equal(isStale(base), false);
    await writeFile(join(base, 'tsconfig.json'), '{"compilerOptions":{}}\n');
    await age('tsconfig.json', 30);
    assert.equal(isStale(base), true);
  });

  it('an installed package (no src/) is never stale', async () => {
    await rm(join(base, 'src'), { recursive: true });
    assert.equal(isStale(base), false);
  });
});
