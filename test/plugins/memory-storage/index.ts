/**
 * A third-party-style storage plugin: kind `memory`, objects kept in process memory. It imports only the
 * public plugin API, the BlobStore port and the domain key/error helpers, and must pass the same contract
 * suite as the built-in backends. Env: MEMORY_STORAGE_MAX_BYTES (total capacity, default 256 MiB).
 */
import { z } from 'zod';
import type { BlobInfo, BlobStore, ByteStream, GetOptions, ListOptions, ListPage, PutOptions } from '../../../src/application/ports/blob-store.port';
import { DomainError, InvalidInputError, NotFoundError } from '../../../src/domain/errors';
import { assertValidKey, assertValidPrefix } from '../../../src/domain/storage-key';
import { type AviaryPlugin, PLUGIN_API_VERSION } from '../../../src/plugins/plugin-api';

const optionsSchema = z.object({
  maxBytes: z.coerce.number({ invalid_type_error: 'must be a number of bytes' })
    .int('must be a whole number of bytes').positive('must be positive').default(256 * 1024 * 1024),
});
export type MemoryStorageOptions = z.infer<typeof optionsSchema>;

interface Entry {
  readonly data: Buffer;
  readonly modifiedAt: Date;
}

export class MemoryBlobStore implements BlobStore {
  readonly kind = 'memory';
  private readonly objects = new Map<string, Entry>();
  private used = 0;

  constructor(private readonly maxBytes: number) {}

  async ping(): Promise<void> {}

  async put(key: string, body: ByteStream, options: PutOptions = {}): Promise<BlobInfo> {
    assertValidKey(key);
    const chunks: Buffer[] = [];
    let size = 0;
    const freed = this.objects.get(key)?.data.length ?? 0;
    for await (const chunk of body) {
      options.signal?.throwIfAborted();
      size += chunk.length;
      if (this.used - freed + size > this.maxBytes) {
        throw new DomainError('too_large', 'storage_full', `Memory storage is full (MEMORY_STORAGE_MAX_BYTES=${this.maxBytes})`);
      }
      chunks.push(Buffer.from(chunk));
    }
    options.signal?.throwIfAborted();
    if (options.size !== undefined && options.size !== size) {
      throw new DomainError('integrity', 'blob_size_mismatch', `Body of ${JSON.stringify(key)} had ${size} bytes, ${options.size} were declared`);
    }
    const entry = { data: Buffer.concat(chunks, size), modifiedAt: new Date() };
    this.used += size - freed;
    this.objects.set(key, entry); // only now is the object visible: atomic by construction
    return { key, size, modifiedAt: entry.modifiedAt };
  }

  async get(key: string, options: GetOptions = {}): Promise<ByteStream> {
    const { data } = this.entry(key);
    if (options.start === undefined && options.end === undefined) return stream(data);
    const start = options.start ?? 0;
    const end = options.end ?? data.length - 1;
    if (!Number.isSafeInteger(start) || start < 0 || start >= data.length || end < start) {
      throw new InvalidInputError('invalid_range', `Byte range ${start}-${options.end ?? ''} is not satisfiable`);
    }
    return stream(data.subarray(start, Math.min(end, data.length - 1) + 1));
  }

  async stat(key: string): Promise<BlobInfo | null> {
    assertValidKey(key);
    const entry = this.objects.get(key);
    return entry ? { key, size: entry.data.length, modifiedAt: entry.modifiedAt } : null;
  }

  async listPage(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    assertValidPrefix(prefix);
    const limit = Math.min(1000, Math.max(1, Math.floor(options.limit ?? 1000)));
    const after = options.cursor === undefined ? undefined : Buffer.from(options.cursor);
    const keys = [...this.objects.keys()]
      .filter((k) => k.startsWith(prefix) && (!after || Buffer.compare(Buffer.from(k), after) > 0))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const items = keys.slice(0, limit).map((k) => ({ key: k, size: this.objects.get(k)!.data.length, modifiedAt: this.objects.get(k)!.modifiedAt }));
    return keys.length > limit ? { items, cursor: items[items.length - 1].key } : { items };
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    this.used -= this.objects.get(key)?.data.length ?? 0;
    this.objects.delete(key);
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    const doomed = [...this.objects.keys()].filter((k) => k.startsWith(prefix));
    for (const key of doomed) await this.delete(key);
    return doomed.length;
  }

  async move(fromKey: string, toKey: string): Promise<void> {
    assertValidKey(toKey);
    const entry = this.entry(fromKey);
    if (fromKey === toKey) return;
    if (this.objects.has(toKey)) throw new DomainError('conflict', 'blob_exists', `${JSON.stringify(toKey)} already exists; a move never replaces an object`);
    this.objects.set(toKey, entry);
    this.objects.delete(fromKey);
  }

  private entry(key: string): Entry {
    assertValidKey(key);
    const entry = this.objects.get(key);
    if (!entry) throw new NotFoundError('blob_not_found', `No stored object ${JSON.stringify(key)}`);
    return entry;
  }
}

async function* stream(data: Buffer): ByteStream {
  yield data;
}

export const memoryStoragePlugin: AviaryPlugin = {
  name: 'example-memory-storage',
  apiVersion: PLUGIN_API_VERSION,
  register(api) {
    api.registerStorage<MemoryStorageOptions>('memory', {
      description: 'Objects in process memory (tests, demos)',
      optionsSchema,
      envNames: { maxBytes: 'MEMORY_STORAGE_MAX_BYTES' },
      optionsFromEnv: (env) => ({ maxBytes: env.MEMORY_STORAGE_MAX_BYTES || undefined }),
      create: async (options) => new MemoryBlobStore(options.maxBytes),
    });
  },
};
