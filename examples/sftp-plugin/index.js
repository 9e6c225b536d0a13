'use strict';
// @ts-check
const { readFile } = require('node:fs/promises');
const { z } = require('zod');
const { PLUGIN_API_VERSION } = require('aviary-backup');
const { SftpBlobStore } = require('./sftp.blob-store');

const PORT_MESSAGE = 'must be an integer from 1 to 65535';
const port = z
  .union([z.number(), z.string().trim().regex(/^\d+$/, PORT_MESSAGE).transform(Number)], { errorMap: () => ({ message: PORT_MESSAGE }) })
  .pipe(z.number().int(PORT_MESSAGE).min(1, PORT_MESSAGE).max(65535, PORT_MESSAGE));
const required = (what) => z.string({ required_error: `is required (${what})` }).min(1, `is required (${what})`);

const optionsSchema = z
  .object({
    host: required('the SSH server'),
    port: port.default(22),
    username: required('the SSH user'),
    password: z.string().optional(),
    privateKeyFile: z.string().optional(),
    hostKeySha256: z.string().regex(/^(SHA256:)?[A-Za-z0-9+/]{43}=?$/, 'must be a SHA256 fingerprint as ssh-keygen -l prints it').optional(),
    root: required('the folder for objects').refine((p) => p.startsWith('/'), 'must be an absolute path on the server'),
  })
  .refine((o) => o.password !== undefined || o.privateKeyFile !== undefined, {
    message: 'set a private key file or a password',
    path: ['privateKeyFile'],
  });

const envNames = {
  host: 'SFTP_HOST',
  port: 'SFTP_PORT',
  username: 'SFTP_USERNAME',
  password: 'SFTP_PASSWORD',
  privateKeyFile: 'SFTP_PRIVATE_KEY_FILE',
  hostKeySha256: 'SFTP_HOST_KEY_SHA256',
  root: 'SFTP_ROOT',
};

/** @param {Readonly<Record<string, string | undefined>>} env Blank variables count as unset. */
function fromEnv(env) {
  /** @type {Record<string, string>} */
  const raw = {};
  for (const [option, variable] of Object.entries(envNames)) {
    const value = env[variable];
    if (value !== undefined && value.trim() !== '') raw[option] = option === 'password' ? value : value.trim();
  }
  return raw;
}

/** `STORAGE_BACKEND=sftp`: objects as files on an SSH server (a NAS, a shell account). @type {import('aviary-backup').AviaryPlugin} */
const plugin = {
  name: 'aviary-backup-sftp',
  apiVersion: PLUGIN_API_VERSION,
  register(api) {
    api.registerStorage('sftp', {
      description: 'Files on an SSH server over SFTP (SFTP_HOST, SFTP_PORT, SFTP_USERNAME, SFTP_PRIVATE_KEY_FILE or SFTP_PASSWORD, SFTP_ROOT)',
      optionsSchema,
      envNames,
      optionsFromEnv: (env) => fromEnv(env),
      identity: ({ host, port, root }) => `sftp://${host}:${port}${root}`,
      create: async ({ privateKeyFile, ...options }) =>
        new SftpBlobStore({ ...options, privateKey: privateKeyFile ? await readFile(privateKeyFile, 'utf8') : undefined }),
    });
  },
};

module.exports = plugin;
module.exports.plugin = plugin;
module.exports.default = plugin;
