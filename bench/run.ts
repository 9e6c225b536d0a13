/**
 * Runs the benchmarks: every `bench/*.bench.ts`, one after another, each in its own Node process.
 *
 *   npm run bench                      every bench, default arguments
 *   npm run bench -- backup --sizes 200MB --reps 3
 *                                      only benches whose file name contains "backup", with those flags
 *
 * Convention: a bench is a standalone script (`node -r ts-node/register/transpile-only bench/x.bench.ts
 * [flags]` must work on its own). It prints a readable table to stdout, writes any JSON results
 * outside the repository (under its tmp dir) and prints their path, and exits non-zero when a
 * measurement or a check failed. A separate process per bench keeps one bench's heap, threads and
 * peak RSS out of the next one's figures. Flags are forwarded to every selected bench, so name the
 * bench when passing flags meant for it; flags starting with --db- (e.g. `--db-scale 200k`) go to
 * the database bench only, so `npm run bench -- --db-scale 200k` runs everything with a quick database.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const benchDir = __dirname;
const args = process.argv.slice(2);
const filters = args.length > 0 && !args[0].startsWith('-') ? [args.shift()!] : [];
const benches = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.every((name) => f.includes(name)))
  .sort();

if (benches.length === 0) {
  console.error(`no bench matches ${filters.join(' ') || '*'} in bench/`);
  process.exit(2);
}

/** --db-* options (each with its value, if any) belong to database.bench.ts; the rest to the others. */
function argsFor(file: string): string[] {
  const database = file === 'database.bench.ts';
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const takesValue = i + 1 < args.length && !args[i + 1].startsWith('--');
    const group = takesValue ? [args[i], args[++i]] : [args[i]];
    if (group[0].startsWith('--db-') === database) out.push(...group);
  }
  return out;
}

const failed: string[] = [];
for (const file of benches) {
  console.log(`\n=== ${file} ${argsFor(file).join(' ')}`);
  const result = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', join(benchDir, file), ...argsFor(file)], {
    stdio: 'inherit',
  });
  if (result.status !== 0) failed.push(`${file} (${result.signal ?? `exit ${result.status}`})`);
}
console.log(failed.length === 0 ? `\n${benches.length} bench(es) done` : `\nFAILED: ${failed.join(', ')}`);
process.exit(failed.length === 0 ? 0 : 1);
