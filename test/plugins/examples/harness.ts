/**
 * Installs the outside plugin packages under examples/ as their authors' CI would and runs their own
 * test suites: `npm pack` of this checkout; a copy of the example in a scratch folder OUTSIDE the
 * repository (so nothing can resolve from this checkout's node_modules); its package.json pointed at
 * the tarball; `npm install`.
 *
 * Keeping the install fast but honest: npm resolves the tarball's whole dependency tree from its
 * package.json, as for any user, but `--prefer-offline` takes the packages from the npm cache that
 * installing this checkout filled, and `--ignore-scripts` skips their build steps. The one build step
 * that matters is sqlite3's native binding (the default database; compiling it takes ~6 minutes on
 * CI's machine), so the binding this checkout compiled for the same sqlite3 version and the same Node
 * is copied in; a version difference fails the install instead. bcrypt ships prebuilt binaries.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const ROOT = join(__dirname, '..', '..', '..');
export const EXAMPLES = join(ROOT, 'examples');
const PACK_DIR = join(EXAMPLES, '.pack');
/** Where the examples' package.json files expect the packed service (`file:../.pack/aviary-backup.tgz`). */
export const TARBALL = join(PACK_DIR, 'aviary-backup.tgz');

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
}

/** `npm pack` of this checkout (its `prepare` builds dist/), once per test run. */
export function packService(): string {
  rmSync(PACK_DIR, { recursive: true, force: true });
  mkdirSync(PACK_DIR, { recursive: true });
  run('npm', ['pack', '--silent', '--pack-destination', PACK_DIR], ROOT);
  const [packed] = readdirSync(PACK_DIR).filter((f) => f.endsWith('.tgz'));
  renameSync(join(PACK_DIR, packed), TARBALL);
  return TARBALL;
}

const version = (packageJson: string) => (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;

/** The example copied outside the repository and installed there with the tarball; returns its folder. */
export function installExample(name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), `aviary-example-${name}-`)), name);
  cpSync(join(EXAMPLES, name), dir, {
    recursive: true,
    filter: (source) => !/[\\/](node_modules|package-lock\.json)$/.test(source),
  });
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  manifest.devDependencies['aviary-backup'] = `file:${TARBALL}`;
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  run('npm', ['install', '--no-package-lock', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], dir);

  const installed = createRequire(join(dir, 'node_modules', 'aviary-backup', 'package.json'));
  const sqlite3 = dirname(installed.resolve('sqlite3/package.json'));
  const built = join(ROOT, 'node_modules', 'sqlite3');
  if (version(join(sqlite3, 'package.json')) !== version(join(built, 'package.json'))) {
    throw new Error(`the packed service installs sqlite3 ${version(join(sqlite3, 'package.json'))}, this checkout built ${version(join(built, 'package.json'))}`);
  }
  mkdirSync(join(sqlite3, 'build', 'Release'), { recursive: true });
  cpSync(join(built, 'build', 'Release', 'node_sqlite3.node'), join(sqlite3, 'build', 'Release', 'node_sqlite3.node'));
  return dir;
}

/** Removes the scratch folder `installExample` made. */
export function removeExample(dir: string): void {
  rmSync(dirname(dir), { recursive: true, force: true });
}

export interface SuiteResult {
  readonly code: number | null;
  readonly output: string;
  readonly passing: number;
  readonly failing: number;
  readonly pending: number;
}

/** Runs `npm test` of the example; resolves with its exit code and mocha's counts. */
export function runExampleTests(dir: string, env: Record<string, string>): Promise<SuiteResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['test', '--silent', '--', '--no-color'], { cwd: dir, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(output)?.[1] ?? 0);
      resolve({ code, output, passing: count('passing'), failing: count('failing'), pending: count('pending') });
    });
  });
}
