/**
 * The outside plugin packages under examples/, each installed from `npm pack` of this checkout in a
 * folder outside the repository and running its own suite there (the published contract suites, and a
 * backup → verify → restore cycle on the standalone server loading the plugin from AVIARY_PLUGINS)
 * against a real server: MariaDB on 127.0.0.1:3306 and the throwaway OpenSSH server of
 * .ci/sftp-test-server, both started by .ci/run. A server that is not there fails the test, naming it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { installExample, packService, removeExample, runExampleTests } from './examples/harness';

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

const SFTP_TEST_DIR = process.env.SFTP_TEST_DIR || join(process.env.TMPDIR || '/tmp', 'aviary-sftp-test');

const EXAMPLES: { name: string; server: string; check(): Promise<boolean>; start: string }[] = [
  {
    name: 'mariadb-plugin',
    server: `MariaDB on ${process.env.MARIADB_HOST || '127.0.0.1'}:${process.env.MARIADB_PORT || 3306}`,
    check: () => listening(process.env.MARIADB_HOST || '127.0.0.1', Number(process.env.MARIADB_PORT || 3306)),
    start: '.ci/run starts it (root without password)',
  },
  {
    name: 'sftp-plugin',
    server: `the SFTP test server on 127.0.0.1:${process.env.SFTP_TEST_PORT || 2222} with its keys in ${SFTP_TEST_DIR}`,
    check: async () =>
      existsSync(join(SFTP_TEST_DIR, 'host_key_sha256')) && (await listening('127.0.0.1', Number(process.env.SFTP_TEST_PORT || 2222))),
    start: 'run `bash .ci/sftp-test-server` (.ci/run does)',
  },
];

describe('outside plugins under examples/, installed from the packed service', function () {
  before(function () {
    this.timeout(300_000);
    packService();
  });

  for (const example of EXAMPLES) {
    describe(example.name, () => {
      let dir: string | undefined;
      after(() => dir && removeExample(dir));

      it('its own suite passes against the real server, the standalone server loading it from AVIARY_PLUGINS', async function () {
        this.timeout(600_000);
        assert.ok(await example.check(), `${example.server} is not reachable: ${example.start}`);
        dir = installExample(example.name);
        const result = await runExampleTests(dir, {});
        console.log(`      [${example.name}] ${result.passing} passing, ${result.failing} failing, ${result.pending} pending`);
        assert.equal(result.code, 0, result.output.slice(-6000));
        assert.equal(result.failing, 0, result.output.slice(-6000));
        assert.equal(result.pending, 0, `no test of the example is skipped:\n${result.output.slice(-3000)}`);
        assert.ok(result.passing > 0, 'the suite ran tests');
      });
    });
  }
});
