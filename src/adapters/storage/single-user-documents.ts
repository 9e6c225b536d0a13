import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type {
  BlobInfo, BlobStore, ByteStream, GetOptions, ListOptions, ListPage, PutOptions,
} from '../../application/ports/blob-store.port';
import type { SingleUserDocuments } from '../../application/ports/single-user-documents.port';
import { NotFoundError } from '../../domain/errors';
import { StorageKeys } from '../../domain/storage-key';
import { FILESYSTEM_TEMP_DIR, FilesystemBlobStore } from './filesystem.blob-store';

/** Folders of DATA_DIR that belong to the multi-user layout: a PDF_DIR there would move them into itself. */
const SERVICE_FOLDERS = ['users', 'backups', FILESYSTEM_TEMP_DIR];

/**
 * Where the single-user documents are (README, Configuration; docs/archive-format.md): PDF_DIR on the filesystem backend, the `pdfs/`
 * prefix of the configured store otherwise. A PDF_DIR that contains DATA_DIR (or sits in one of the
 * service's folders) is refused: moving "everything in it" would move the database and other users' files.
 */
export function singleUserDocuments(
  storageKind: string, target: BlobStore, pdfDir: string, dataDir: string,
): SingleUserDocuments | { problem: string } {
  if (storageKind !== 'filesystem') return { blobs: target, prefix: StorageKeys.singleUserDocumentsPrefix };
  const pdf = resolve(pdfDir);
  const data = resolve(dataDir);
  if (isWithin(pdf, data)) {
    return { problem: 'PDF_DIR contains DATA_DIR: move the single-user documents into a folder of their own and point PDF_DIR at it' };
  }
  if (isWithin(data, pdf) && SERVICE_FOLDERS.includes(relative(data, pdf).split(sep)[0])) {
    return { problem: 'PDF_DIR lies inside a folder the multi-user layout uses (users/, backups/): point it at the single-user documents folder' };
  }
  return { blobs: new ExistingDirectoryBlobStore(pdf), prefix: '' };
}

/** True when `child` is `parent` or inside it. */
function isWithin(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * A filesystem store over a directory that may not exist: an absent directory lists as empty and is never
 * created (a preview must not change anything). Only what the migration reads and deletes is supported.
 */
export class ExistingDirectoryBlobStore implements BlobStore {
  readonly kind = 'filesystem';
  private store?: FilesystemBlobStore;

  constructor(private readonly root: string) {}

  private inner(): FilesystemBlobStore | null {
    if (this.store) return this.store;
    if (!existsSync(this.root)) return null;
    return (this.store = new FilesystemBlobStore({ root: this.root }));
  }

  async ping(): Promise<void> {
    await this.inner()?.ping();
  }
  async listPage(prefix: string, options?: ListOptions): Promise<ListPage> {
    return this.inner()?.listPage(prefix, options) ?? { items: [] };
  }
  async get(key: string, options?: GetOptions): Promise<ByteStream> {
    const store = this.inner();
    if (!store) throw new NotFoundError('blob_not_found', `No stored object ${JSON.stringify(key)}`);
    return store.get(key, options);
  }
  async stat(key: string): Promise<BlobInfo | null> {
    return this.inner()?.stat(key) ?? null;
  }
  async delete(key: string): Promise<void> {
    await this.inner()?.delete(key);
  }
  async put(key: string, body: ByteStream, options?: PutOptions): Promise<BlobInfo> {
    return this.required().put(key, body, options);
  }
  async deletePrefix(prefix: string): Promise<number> {
    return (await this.inner()?.deletePrefix(prefix)) ?? 0;
  }
  async move(fromKey: string, toKey: string): Promise<void> {
    return this.required().move(fromKey, toKey);
  }

  /** Writes create the directory (FilesystemBlobStore does); nothing in the migration writes here. */
  private required(): FilesystemBlobStore {
    return this.inner() ?? (this.store = new FilesystemBlobStore({ root: this.root }));
  }
}
