import { isDomainError } from '../../../domain/errors';
import { keyProblem, StorageKeys } from '../../../domain/storage-key';
import type { BlobInfo, BlobStore } from '../../ports/blob-store.port';
import type { FaultPoints } from '../../ports/fault-points.port';
import type { SingleUserDocuments } from '../../ports/single-user-documents.port';
import type { Logger } from '../../ports/system.port';
import { digestOf, DigestingStream, sameContent } from '../content-digest';
import type { SingleToMultiReport } from './report';

export type PlannedMove =
  | { readonly kind: 'move'; readonly info: BlobInfo; readonly path: string; readonly to: string }
  | { readonly kind: 'skip'; readonly info: BlobInfo; readonly path: string; readonly reason: string };

/** What happens to one listed object, before any I/O on it. */
export function planMove(source: SingleUserDocuments, info: BlobInfo, targetUserId: string): PlannedMove {
  const path = info.key.slice(source.prefix.length);
  if (path === '' || path.endsWith('/')) return { kind: 'skip', info, path: path || '/', reason: 'folder marker, not a document' };
  const to = `${StorageKeys.userDocumentsPrefix(targetUserId)}${path}`;
  const problem = keyProblem(to);
  if (problem) return { kind: 'skip', info, path, reason: `cannot be stored under a valid key (${problem})` };
  return { kind: 'move', info, path, to };
}

/**
 * Moves one document: copy by stream while hashing, re-read the copy and compare size and sha256, and only
 * then delete the original. A target that already holds the same bytes (an interrupted run) only costs the
 * original; a target with different bytes is a conflict and both are kept. Storage outages propagate
 * (the run stops); every other problem is recorded against the file.
 */
export class DocumentMover {
  constructor(
    private readonly source: SingleUserDocuments,
    private readonly target: BlobStore,
    private readonly logger: Logger,
    private readonly faults?: FaultPoints,
  ) {}

  async move(plan: Extract<PlannedMove, { kind: 'move' }>, report: SingleToMultiReport): Promise<void> {
    const { info, path, to } = plan;
    try {
      if (await this.target.stat(to)) return await this.finishResumed(plan, report);
      const copy = new DigestingStream(await this.source.blobs.get(info.key));
      await this.target.put(to, copy, { size: info.size });
      const copied = copy.digest();
      const written = await digestOf(await this.target.get(to));
      if (!sameContent(copied, written)) {
        await this.target.delete(to).catch(() => undefined);
        report.failed.push({ path, reason: 'verification failed: the stored copy differs from the original; the original was kept' });
        return;
      }
      this.logger.debug('single-user document copied and verified', { path, size: copied.size });
      await this.faults?.reach('single-to-multi.after-copy');
      if (!(await this.deleteOriginalIfUnchanged(info))) {
        await this.target.delete(to).catch(() => undefined);
        report.failed.push({ path, reason: 'the original changed while it was copied; it was kept and will be moved by the next run' });
        return;
      }
      await this.faults?.reach('single-to-multi.after-delete');
      report.moved.push({ from: path, to, size: copied.size });
      report.bytes += copied.size;
    } catch (error) {
      if (isDomainError(error) && error.category === 'unavailable') throw error;
      this.logger.warn('single-user document not moved', { path, error: error instanceof Error ? error.message : String(error) });
      report.failed.push({ path, reason: describe(error) });
    }
  }

  private async finishResumed(plan: Extract<PlannedMove, { kind: 'move' }>, report: SingleToMultiReport): Promise<void> {
    const { info, path, to } = plan;
    const original = await digestOf(await this.source.blobs.get(info.key));
    const existing = await digestOf(await this.target.get(to));
    if (!sameContent(original, existing)) {
      report.failed.push({ path, reason: 'conflict: a different file already exists at the target; both were kept' });
      return;
    }
    if (!(await this.deleteOriginalIfUnchanged(info))) {
      report.failed.push({ path, reason: 'the original changed while it was compared; it was kept and will be checked by the next run' });
      return;
    }
    report.moved.push({ from: path, to, size: existing.size, resumed: true });
    report.bytes += existing.size;
  }

  /** Deletes the original unless it changed since it was listed (size, or modification time to the second). */
  private async deleteOriginalIfUnchanged(listed: BlobInfo): Promise<boolean> {
    const now = await this.source.blobs.stat(listed.key);
    if (!now) return true; // already gone: another run removed it after its own verified copy
    const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
    if (now.size !== listed.size || seconds(now.modifiedAt) !== seconds(listed.modifiedAt)) return false;
    await this.source.blobs.delete(listed.key);
    return true;
  }
}

/** A reason fit for an HTTP response: error codes, never messages that may carry server paths. */
export function describe(error: unknown): string {
  if (isDomainError(error)) return error.code;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'unexpected_error';
}
