/**
 * The outside plugin packages under examples/, each installed from `npm pack` of this checkout and
 * running its own suite (the published contracts and a backup → verify → restore cycle) against a
 * real server: MariaDB on 127.0.0.1:3306 and the throwaway OpenSSH server of .ci/sftp-test-server.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EXAMPLES, installExample, packService, runExampleTests } from './examples/harness';

describe('outside plugins under examples/, installed from the packed service', function () {
  before(function () {
    this.timeout(300_000);
    packService();
  });

  for (const name of ['mariadb-plugin', 'sftp-plugin']) {
    it(`${name}: its own suite passes against the real server`, async function () {
      this.timeout(600_000);
      const dir = join(EXAMPLES, name);
      installExample(dir);
      const result = await runExampleTests(dir, {});
      console.log(`      [${name}] ${result.passing} passing, ${result.failing} failing`);
      assert.equal(result.code, 0, result.output.slice(-6000));
      assert.equal(result.failing, 0, result.output.slice(-6000));
      assert.ok(result.passing > 0, 'the suite ran tests');
    });
  }
});
