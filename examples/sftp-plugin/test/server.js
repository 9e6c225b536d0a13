'use strict';
// The SSH server the tests use: the throwaway sshd CI starts on loopback (.ci/sftp-test-server in the
// service's repository), whose folder holds the client key and the host key's fingerprint.
const { mkdtemp, readFile, rm } = require('node:fs/promises');
const { tmpdir, userInfo } = require('node:os');
const { join } = require('node:path');

const dir = process.env.SFTP_TEST_DIR || join(process.env.TMPDIR || '/tmp', 'aviary-sftp-test');

/** A new empty folder on the server (it runs on this machine) and the variables that point the service at it. */
async function scratchRoot() {
  const root = await mkdtemp(join(tmpdir(), 'aviary-sftp-root-'));
  const fingerprint = (await readFile(join(dir, 'host_key_sha256'), 'utf8')).trim();
  return {
    root,
    env: {
      STORAGE_BACKEND: 'sftp',
      SFTP_HOST: '127.0.0.1',
      SFTP_PORT: process.env.SFTP_TEST_PORT || '2222',
      SFTP_USERNAME: userInfo().username,
      SFTP_PRIVATE_KEY_FILE: join(dir, 'client_ed25519'),
      SFTP_HOST_KEY_SHA256: fingerprint,
      SFTP_ROOT: root,
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

module.exports = { scratchRoot };
