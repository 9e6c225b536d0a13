import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import request from 'supertest';
import { build } from 'esbuild';
import { type AviaryBackup, createAviaryBackup } from '../../src/aviary-backup';
import { PLUGIN_API_VERSION } from '../../src/plugins/plugin-api';
import { silentLogger } from '../support/service';
import { freePort } from '../../src/testing/standalone-server';
import { waitFor } from '../support/wait';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

/**
 * Plugins loaded by AVIARY_PLUGINS / --plugin from an outside folder: the memory storage plugin, bundled
 * with its own copy of the error classes (as a separately installed package has), plus broken ones.
 */
describe('plugins named by AVIARY_PLUGINS and --plugin', function () {
  this.timeout(300_000);
  let dir: string;
  let dataDir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aviary-plugins-'));
    const pkg = join(dir, 'node_modules', 'aviary-plugin-memory');
    await mkdir(pkg, { recursive: true });
    await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'aviary-plugin-memory', main: 'index.js' }));
    await build({
      stdin: { contents: `export { memoryStoragePlugin as default } from './test/plugins/memory-storage';`, resolveDir: root, loader: 'ts' },
      bundle: true, platform: 'node', format: 'cjs', outfile: join(pkg, 'index.js'), logLevel: 'error',
    });
    const plugin = (body: string) => `module.exports = { name: 'broken', apiVersion: ${PLUGIN_API_VERSION}, ${body} };`;
    await writeFile(join(dir, 'throws.js'), plugin(`register() { throw new Error('no licence key'); }`));
    await writeFile(join(dir, 'future.js'), `exports.plugin = { name: 'from-the-future', apiVersion: ${PLUGIN_API_VERSION + 1}, register() {} };`);
    await writeFile(join(dir, 'unversioned.js'), `module.exports = { name: 'old', register() {} };`);
    await writeFile(join(dir, 'syntax.js'), `module.exports = {;`);
  });
  after(() => rm(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aviary-plugins-data-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('the standalone server (node dist/server.js) loads a package by name from its folder; /readyz names the kind', async () => {
    await run(process.execPath, [join(root, 'scripts', 'build.js'), '--if-stale'], { cwd: root });
    const port = await freePort();
    const child = spawn(process.execPath, [join(root, 'dist', 'server.js')], {
      cwd: dir,
      env: { ...process.env, AVIARY_PLUGINS: 'aviary-plugin-memory', STORAGE_BACKEND: 'memory', DATA_DIR: dataDir, PORT: String(port), ALLOW_INSECURE: 'true', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.includes('listening on') || child.exitCode !== null, 'the server to listen', 120_000);
      assert.ok(out.includes('listening on'), out);
      const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { storage: { kind: string } };
      assert.equal(ready.storage.kind, 'memory');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('the CLI loads --plugin (a package name); a backup goes to the plugin\'s storage', async () => {
    const { stdout } = await cli(['--plugin', 'aviary-plugin-memory', 'backup', 'create', '--no-files'], { STORAGE_BACKEND: 'memory', DATA_DIR: dataDir });
    assert.match(stdout, /backup aviary_backup_\S+ stored/);
  });

  for (const [what, env, args, pattern] of [
    ['a module that is not there', { AVIARY_PLUGINS: './missing.js' }, [], /plugin "\.\/missing\.js" cannot be loaded: no module at/],
    ['a package that is not installed', {}, ['--plugin', 'aviary-plugin-nope'], /plugin "aviary-plugin-nope" cannot be loaded: package not found/],
    ['a module that does not parse', { AVIARY_PLUGINS: './syntax.js' }, [], /plugin "\.\/syntax\.js" cannot be loaded: Unexpected token/],
    ['a register() that throws', {}, ['--plugin=./throws.js'], /Plugin "broken" failed to register: no licence key/],
    ['a plugin for another API version', { AVIARY_PLUGINS: './future.js' }, [], new RegExp(`"from-the-future" was written for plugin API version ${PLUGIN_API_VERSION + 1}; this aviary-backup implements version ${PLUGIN_API_VERSION}`)],
    ['a plugin without apiVersion', { AVIARY_PLUGINS: './unversioned.js' }, [], /plugin "\.\/unversioned\.js" \("old"\) declares no apiVersion/],
  ] as const) {
    it(`CLI and server exit 2 naming ${what}`, async () => {
      const cliFailure = await cli([...args, 'backup', 'create'], { DATA_DIR: dataDir, ...env }).then(() => assert.fail('the CLI accepted it'), (e: { code: number; stderr: string }) => e);
      assert.equal(cliFailure.code, 2, cliFailure.stderr);
      assert.match(cliFailure.stderr, pattern);
      if (args.length > 0) return; // the server has no flags
      const server = await run(process.execPath, [join(root, 'dist', 'server.js')], { cwd: dir, env: { ...process.env, DATA_DIR: dataDir, PORT: '0', ...env } })
        .then(() => assert.fail('the server started'), (e: { code: number; stderr: string }) => e);
      assert.equal(server.code, 2, server.stderr);
      assert.match(server.stderr, pattern);
    });
  }

  describe('embedding', () => {
    let service: AviaryBackup | undefined;
    afterEach(async () => {
      await service?.close();
      service = undefined;
    });

    it('reads AVIARY_PLUGINS under the env prefix; relative paths from the given cwd', async () => {
      const env = { AVIARY_BACKUP_AVIARY_PLUGINS: './node_modules/aviary-plugin-memory', AVIARY_BACKUP_STORAGE_BACKEND: 'memory', AVIARY_BACKUP_DATA_DIR: dataDir, AVIARY_BACKUP_ALLOW_INSECURE: 'true' };
      service = createAviaryBackup({ env, envPrefix: 'AVIARY_BACKUP_', cwd: dir, logger: silentLogger });
      await service.start();
      const app = express().use(service.router);
      const ready = await request(app).get('/readyz');
      assert.equal(ready.body.storage.kind, 'memory');
    });

    it('a failing plugin rejects start() with a ConfigError naming it', async () => {
      service = createAviaryBackup({ env: { AVIARY_PLUGINS: './throws.js', DATA_DIR: dataDir }, cwd: dir, logger: silentLogger });
      await assert.rejects(service.start(), (e: Error) => e.name === 'PluginRegistrationError' && /"broken" failed to register/.test(e.message));
    });
  });

  function cli(args: readonly string[], env: Record<string, string>) {
    return run(process.execPath, [join(root, 'bin', 'aviary-backup.js'), ...args], { cwd: dir, env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
  }
});
