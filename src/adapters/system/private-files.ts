import { chmodSync, mkdirSync } from 'node:fs';
import { chmod, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Backups, the database and the secrets hold password hashes, API-key hashes and reMarkable tokens:
 * what the service creates is readable by its own user only. The modes are set with chmod after
 * creation, so a permissive umask (0, 002) cannot widen them. Existing folders keep their mode.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** mkdir -p; every folder this call created gets 0700. */
export async function mkdirPrivate(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first === undefined) return;
  for (const dir of createdChain(path, first)) await chmod(dir, PRIVATE_DIR_MODE);
}

export function mkdirPrivateSync(path: string): void {
  const first = mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first === undefined) return;
  for (const dir of createdChain(path, first)) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Creates an empty file with mode 0600 unless it exists; returns whether it created it. */
export async function createPrivateFileIfMissing(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'wx', PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
  } finally {
    await handle.close();
  }
  return true;
}

/** `path` and its parents up to and including `first`, the topmost folder mkdir created. */
function createdChain(path: string, first: string): string[] {
  const chain: string[] = [];
  for (let dir = path; ; dir = dirname(dir)) {
    chain.push(dir);
    if (dir === first || dirname(dir) === dir) return chain;
  }
}
