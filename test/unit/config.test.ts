import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/adapters/config/app-config';
import { parseByteSize } from '../../src/domain/byte-size';
import { createRegistry } from '../../src/plugins/builtin';

describe('configuration (README, Configuration)', () => {
  const registry = createRegistry();

  it('starts on embedded defaults: SQLite and files under ./data, multi-user, 10 GiB uploads', () => {
    const config = loadConfig({}, registry, {}, '/srv/app');
    assert.equal(config.port, 8000);
    assert.equal(config.dataDir, '/srv/app/data');
    assert.equal(config.database.kind, 'sqlite');
    assert.equal(config.storage.kind, 'filesystem');
    assert.equal(config.multiUser, true);
    assert.equal(config.pdfDir, '/srv/app/data/pdfs');
    assert.equal(config.maxRestoreUploadBytes, 10 * 1024 ** 3);
    assert.equal(config.backup.retentionCount, 10);
    assert.equal(config.uiEnabled, true);
  });

  it('UI_ENABLED turns the admin page off, and a bad value is named', () => {
    assert.equal(loadConfig({ UI_ENABLED: 'false' }, registry, {}, '/srv/app').uiEnabled, false);
    assert.throws(() => loadConfig({ UI_ENABLED: 'sometimes' }, registry, {}, '/srv/app'), (e: ConfigError) => /UI_ENABLED/.test(e.problems.join('\n')));
  });

  it('reports every problem at once, naming each variable', () => {
    const env = {
      PORT: 'eighty',
      MULTI_USER: 'perhaps',
      STORAGE_BACKEND: 's3',
      DB_TYPE: 'postgres',
      DB_PORT: '99999',
      AUTH_USERNAME: 'admin',
      MAX_RESTORE_UPLOAD_BYTES: 'lots',
      BACKUP_SCHEDULE: 'every tuesday',
    };
    let error: unknown;
    try {
      loadConfig(env, registry, {}, '/srv/app');
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError, 'expected a ConfigError');
    const text = error.problems.join('\n');
    for (const name of ['PORT', 'MULTI_USER', 'DB_PORT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'AUTH_PASSWORD', 'MAX_RESTORE_UPLOAD_BYTES', 'BACKUP_SCHEDULE']) {
      assert.match(text, new RegExp(`\\b${name}\\b`), `${name} not named in:\n${text}`);
    }
  });

  it('names the registered kinds when DB_TYPE or STORAGE_BACKEND is unknown', () => {
    assert.throws(
      () => loadConfig({ DB_TYPE: 'mysql', STORAGE_BACKEND: 'ftp' }, registry),
      (e: ConfigError) => /DB_TYPE: unknown database kind "mysql" \(registered: .*sqlite.*postgres/.test(e.message) && /STORAGE_BACKEND: unknown storage kind "ftp"/.test(e.message),
    );
  });

  it('understands Aviary-style flags and sizes', () => {
    assert.equal(loadConfig({ MULTI_USER: 'no' }, registry).multiUser, false);
    assert.equal(loadConfig({ MULTI_USER: 'YES' }, registry).multiUser, true);
    assert.equal(parseByteSize('10GiB'), 10 * 1024 ** 3);
    assert.equal(parseByteSize('500MB'), 500e6);
    assert.equal(parseByteSize('12 parsecs'), null);
  });
});
