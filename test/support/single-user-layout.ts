/**
 * A realistic single-user Aviary install for the single-user → multi-user migration tests: nested folders,
 * PDFs, EPUBs, images and other types, a unicode name, `Vol..2.pdf`, an empty file, a pairing file with
 * device and user tokens, and an API_KEY that does not start with `aviary_`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import express from 'express';
import type { BlobStore, ByteStream } from '../../src/application/ports/blob-store.port';
import type { Logger } from '../../src/application/ports/system.port';
import { createAviaryBackup, type AviaryBackup } from '../../src/aviary-backup';
import type { Env } from '../../src/plugins/plugin-api';
import { silentLogger } from './service';

export const OLD_API_KEY = 'my-single-user-key-42';
export const PAIRING_FILE_TEXT =
  'devicetoken: eyJhbGciOiJIUzI1NiJ9.device-token-payload.signature\n' +
  'usertoken: eyJhbGciOiJIUzI1NiJ9.user-token-payload.signature\n';

const pdf = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size)]);

/** Relative path → bytes; fresh random bytes per call, so assertions compare against these inputs. */
export function singleUserLayout(): Map<string, Buffer> {
  return new Map<string, Buffer>([
    ['Report 2024-Q3.pdf', pdf(200_000)],
    ['Books/Vol..2.pdf', pdf(50_000)],
    ['Books/Fiction/Ünïcödé – 日本語.epub', Buffer.concat([Buffer.from('PK\u0003\u0004'), randomBytes(30_000)])],
    ['Books/Fiction/Another Book.epub', Buffer.concat([Buffer.from('PK\u0003\u0004'), randomBytes(12_000)])],
    ['Images/cover.png', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(4_000)])],
    ['Images/scan 01.jpg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(9_000)])],
    ['Notes/todo.txt', Buffer.from('buy milk\nsend the report to the tablet\n')],
    ['Archive/2023/deep/nested/statement.pdf', pdf(2 * 1024 * 1024)],
    ['empty.pdf', Buffer.alloc(0)],
    ['.hidden-notes.md', Buffer.from('# hidden\n')],
  ]);
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export async function writeDocumentsToDir(dir: string, docs: Map<string, Buffer>): Promise<void> {
  for (const [path, data] of docs) {
    const file = join(dir, ...path.split('/'));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, data);
  }
}

export async function writeDocumentsToStore(store: BlobStore, prefix: string, docs: Map<string, Buffer>): Promise<void> {
  for (const [path, data] of docs) {
    await store.put(prefix + path, (async function* () { yield data; })(), { size: data.length });
  }
}

export async function writePairingFile(path: string, text = PAIRING_FILE_TEXT): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

/** Every regular file under `dir` (relative '/'-separated path → sha256); empty when `dir` is missing. */
export async function dirHashes(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    out.set(relative(dir, full).split(sep).join('/'), sha256(await readFile(full)));
  }
  return out;
}

export async function storeHashes(store: BlobStore, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const page = await store.listPage(prefix, { cursor });
    for (const item of page.items) out.set(item.key.slice(prefix.length), sha256(await readAll(await store.get(item.key))));
    cursor = page.cursor;
  } while (cursor);
  return out;
}

async function readAll(body: ByteStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

export function expectedHashes(docs: Map<string, Buffer>): Map<string, string> {
  return new Map([...docs].map(([path, data]) => [path, sha256(data)]));
}

export interface RunningService {
  readonly service: AviaryBackup;
  readonly app: express.Express;
  stop(): Promise<void>;
}

/** The real service on the given environment (DATA_DIR etc. are the caller's to create and remove). */
export async function startService(env: Env, logger: Logger = silentLogger): Promise<RunningService> {
  const service = createAviaryBackup({ env: { ALLOW_INSECURE: 'true', ...env }, logger });
  await service.start();
  const app = express();
  app.use(service.router);
  return { service, app, stop: () => service.close() };
}
