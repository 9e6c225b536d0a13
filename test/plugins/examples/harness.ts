/**
 * Installs the packed service into the outside plugin packages under examples/ and runs their own
 * test suites there, as a plugin author's CI would: `npm pack` of this checkout, `npm install` of the
 * example's own dependencies, the tarball unpacked as `node_modules/aviary-backup`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

export const ROOT = join(__dirname, '..', '..', '..');
export const EXAMPLES = join(ROOT, 'examples');
const PACK_DIR = join(EXAMPLES, '.pack');
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

/**
 * The example's own dependencies from the registry (peers left to us), then the tarball as its
 * `aviary-backup`. The service's dependencies resolve from this checkout's node_modules, above.
 */
export function installExample(dir: string): void {
  run('npm', ['install', '--legacy-peer-deps', '--no-package-lock', '--no-audit', '--no-fund', '--prefer-offline'], dir);
  const target = join(dir, 'node_modules', 'aviary-backup');
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  run('tar', ['xzf', TARBALL, '-C', target, '--strip-components=1'], dir);
  provideContractKit(target);
}

/**
 * PROVISIONAL until the package ships `aviary-backup/testing`: the contract suites of test/contract,
 * compiled against the installed package's dist/ (so they share its error classes), put where the
 * published kit will be. Does nothing once the package has its own.
 */
function provideContractKit(installed: string): void {
  if (existsSync(join(installed, 'testing'))) return;
  const kit = join(installed, 'testing');
  mkdirSync(kit);
  const names = ['blob-store.contract', 'record-store.contract'];
  for (const name of names) {
    const source = readFileSync(join(ROOT, 'test', 'contract', `${name}.ts`), 'utf8').replace(/'\.\.\/\.\.\/src\//g, "'../dist/");
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    writeFileSync(join(kit, `${name}.js`), outputText);
  }
  writeFileSync(
    join(kit, 'index.js'),
    `'use strict';\nmodule.exports = { ...require('./blob-store.contract'), ...require('./record-store.contract') };\n`,
  );
}

export interface SuiteResult {
  readonly code: number | null;
  readonly output: string;
  readonly passing: number;
  readonly failing: number;
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
      resolve({ code, output, passing: count('passing'), failing: count('failing') });
    });
  });
}
