import assert from 'node:assert/strict';
import { loadConfig } from '../../src/adapters/config/app-config';
import { createRegistry } from '../../src/plugins/builtin';

/** Variables of a backend that is not the chosen one are ignored: the operator is told so at start. */
describe('configuration: variables set but unused by the chosen backends', () => {
  const registry = createRegistry();

  it('S3_* without STORAGE_BACKEND=s3 is reported, naming the variables and the switch', () => {
    const config = loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000', S3_BUCKET: 'aviary', S3_ACCESS_KEY_ID: 'k' }, registry, {}, '/srv/app');
    assert.equal(config.storage.kind, 'filesystem');
    const text = config.warnings.join('\n');
    assert.match(text, /S3_ACCESS_KEY_ID, S3_BUCKET, S3_ENDPOINT/);
    assert.match(text, /STORAGE_BACKEND=s3/);
    assert.match(text, /STORAGE_BACKEND is "filesystem"/);
  });

  it('DB_HOST and friends with DB_TYPE=sqlite are reported; DB_PATH with postgres too', () => {
    const sqlite = loadConfig({ DB_HOST: 'db', DB_NAME: 'aviary' }, registry, {}, '/srv/app');
    assert.match(sqlite.warnings.join('\n'), /DB_HOST, DB_NAME .*DB_TYPE=postgres/);
    const postgres = loadConfig({ DB_TYPE: 'postgres', DB_PATH: '/srv/aviary.db' }, registry, {}, '/srv/app');
    assert.match(postgres.warnings.join('\n'), /DB_PATH .*DB_TYPE=sqlite/);
  });

  it('a configuration whose variables are all used has no warnings; blank values do not count', () => {
    assert.deepEqual(loadConfig({ DB_PATH: '/srv/a.db', S3_BUCKET: '' }, registry, {}, '/srv/app').warnings, []);
    const s3 = loadConfig(
      { STORAGE_BACKEND: 's3', S3_BUCKET: 'aviary', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's', DB_TYPE: 'postgres', DB_HOST: 'db' },
      registry, {}, '/srv/app',
    );
    assert.deepEqual(s3.warnings, []);
  });

  it('explicit backend options (embedding) make that backend\'s variables unused', () => {
    const config = loadConfig({ DB_PATH: '/srv/a.db' }, registry, { database: { kind: 'sqlite', options: { path: '/srv/b.db' } } }, '/srv/app');
    assert.match(config.warnings.join('\n'), /DB_PATH/);
  });
});
