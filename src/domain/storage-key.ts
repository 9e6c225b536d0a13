import { InvalidInputError } from './errors';

/**
 * Storage keys are '/'-separated relative names, the same on every backend (docs/archive-format.md).
 * This is the only place that decides whether a key is acceptable.
 */
export function keyProblem(key: string): string | null {
  if (typeof key !== 'string' || key.length === 0) return 'key is empty';
  if (key.includes('\0')) return 'key contains a NUL byte';
  if (key.includes('\\')) return 'key contains a backslash';
  if (key.startsWith('/')) return 'key is absolute';
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '') return 'key has an empty segment';
    if (segment === '.' || segment === '..') return `key has a "${segment}" segment`;
  }
  return null;
}

export function assertValidKey(key: string): string {
  const problem = keyProblem(key);
  if (problem) throw new InvalidInputError('invalid_storage_key', `Invalid storage key ${JSON.stringify(key)}: ${problem}`);
  return key;
}

/** A prefix is '' (everything) or a valid key, optionally ending in '/'. */
export function assertValidPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const problem = keyProblem(trimmed);
  if (problem) throw new InvalidInputError('invalid_storage_key', `Invalid storage prefix ${JSON.stringify(prefix)}: ${problem}`);
  return prefix;
}

export const StorageKeys = {
  userDocumentsPrefix: (userId: string) => `users/${userId}/pdfs/`,
  userDocument: (userId: string, relativePath: string) => assertValidKey(`users/${userId}/pdfs/${relativePath}`),
  legacyPairingFile: (userId: string) => `users/${userId}/rmapi/rmapi.conf`,
  backupsPrefix: 'backups/',
  backup: (filename: string) => assertValidKey(`backups/${filename}`),
  singleUserDocumentsPrefix: 'pdfs/',
} as const;
