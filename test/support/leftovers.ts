import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../../src/application/ports/blob-store.port';
import { listAll } from '../../src/application/use-cases/blob-listing';
import { FILESYSTEM_TEMP_DIR } from '../../src/adapters/storage/filesystem.blob-store';

/** Everything a failed or killed run could leave in temporary areas: objects under tmp/, temp files, restore spools. */
export async function leftovers(blobs: BlobStore, dataDir: string): Promise<string[]> {
  const left: string[] = [];
  for await (const blob of listAll(blobs, 'tmp/')) left.push(blob.key);
  for (const dir of [FILESYSTEM_TEMP_DIR, 'tmp-restore']) {
    const names = await readdir(join(dataDir, dir), { recursive: true }).catch(() => [] as string[]);
    left.push(...names.map((n) => `${dir}/${n}`));
  }
  return left;
}
