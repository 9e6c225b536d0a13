import type { BlobStore } from './blob-store.port';

/** Where the single-user documents are: a store rooted at PDF_DIR (prefix '') or the `pdfs/` prefix. */
export interface SingleUserDocuments {
  readonly blobs: BlobStore;
  readonly prefix: string;
}
