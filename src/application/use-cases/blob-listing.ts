import type { BlobInfo, BlobStore } from '../ports/blob-store.port';

/** Every object under a prefix, page by page (never the whole listing at once from the backend). */
export async function* listAll(blobs: BlobStore, prefix: string): AsyncGenerator<BlobInfo> {
  let cursor: string | undefined;
  do {
    const page = await blobs.listPage(prefix, { cursor, limit: 1000 });
    yield* page.items;
    cursor = page.cursor;
  } while (cursor);
}
