import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/adapters/config/app-config';
import { formatBytes, parseByteSize } from '../../src/domain/byte-size';
import { parseFlag } from '../../src/domain/flag';
import { createRegistry } from '../../src/plugins/builtin';

// One reading of a switch and of a size for the configuration, the plugins and HTTP.
describe('switches and sizes', () => {
  const registry = createRegistry();
  const s3 = (forcePathStyle: string) => ({
    STORAGE_BACKEND: 's3', S3_BUCKET: 'aviary', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's', S3_FORCE_PATH_STYLE: forcePathStyle,
  });

  it('reads true/false, 1/0, yes/no and on/off in any case; nothing else', () => {
    for (const word of ['true', 'TRUE', '1', 'yes', 'Yes', 'on', ' ON ']) assert.equal(parseFlag(word), true, word);
    for (const word of ['false', 'False', '0', 'no', 'NO', 'off', 'Off']) assert.equal(parseFlag(word), false, word);
    for (const word of ['', 'y', 'n', '2', 'enabled', 'truee']) assert.equal(parseFlag(word), undefined, word);
  });

  it('S3_FORCE_PATH_STYLE=on starts (it failed at boot before) and off/yes/no are read alike', () => {
    for (const [text, expected] of [['on', true], ['OFF', false], ['yes', true], ['0', false]] as const) {
      const config = loadConfig(s3(text), registry, {}, '/srv/app');
      assert.equal((config.storage.options as { forcePathStyle: boolean }).forcePathStyle, expected, text);
    }
    assert.throws(() => loadConfig(s3('sometimes'), registry, {}, '/srv/app'),
      (e: ConfigError) => e instanceof ConfigError && e.problems.some((p) => /S3_FORCE_PATH_STYLE/.test(p) && /on\/off/.test(p)));
  });

  it('the service switches take on/off too', () => {
    assert.equal(loadConfig({ UI_ENABLED: 'off' }, registry, {}, '/srv/app').uiEnabled, false);
    assert.equal(loadConfig({ MULTI_USER: 'On' }, registry, {}, '/srv/app').multiUser, true);
  });

  it('parses decimal and binary sizes and formats in binary units', () => {
    assert.equal(parseByteSize('1.5 GB'), 1_500_000_000);
    assert.equal(parseByteSize('2GiB'), 2 * 1024 ** 3);
    assert.equal(parseByteSize('1048576'), 1048576);
    assert.equal(parseByteSize('-1MB'), null);
    assert.equal(parseByteSize('5 furlongs'), null);
    assert.equal(formatBytes(512), '512 bytes');
    assert.equal(formatBytes(1024), '1.0 KiB');
    assert.equal(formatBytes(300 * 1024 ** 2), '300.0 MiB');
    assert.equal(formatBytes(10 * 1024 ** 3), '10.0 GiB');
  });
});
