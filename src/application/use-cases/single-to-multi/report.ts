/** What the single-user → multi-user migration would do (preview) and what it did (report), docs/single-to-multi.md. */

export type PairingOutcome = 'migrated' | 'kept-existing' | 'absent' | 'failed';
export type ApiKeyOutcome = 'created' | 'already-present' | 'not-configured';

/** Paths are relative to the single-user location (PDF_DIR, or the `pdfs/` prefix): never server paths. */
export interface MovedDocument {
  readonly from: string;
  /** The storage key it now has: `users/{adminId}/pdfs/{from}`. */
  readonly to: string;
  readonly size: number;
  /** The copy was already at the target (an interrupted run made it); only the original was removed. */
  readonly resumed?: boolean;
}

export interface DocumentIssue {
  readonly path: string;
  readonly reason: string;
}

export interface SingleToMultiReport {
  readonly targetUserId: string;
  readonly moved: MovedDocument[];
  readonly skipped: DocumentIssue[];
  readonly failed: DocumentIssue[];
  pairing: PairingOutcome;
  apiKey: ApiKeyOutcome;
  /** Bytes of the moved documents. */
  bytes: number;
  readonly warnings: string[];
  /** Set when the run stopped early (storage or database unavailable, lock lost). */
  error?: string;
}

export type PreviewAction = 'move' | 'verify-existing' | 'skip';

export interface PreviewDocument {
  readonly path: string;
  readonly size: number;
  /** `verify-existing`: a file is already at the target; the run compares contents before removing the original. */
  readonly action: PreviewAction;
  readonly reason?: string;
}

export interface SingleToMultiPreview {
  /** True when a run would change something. */
  readonly pending: boolean;
  readonly targetUser: { readonly id: string; readonly username: string } | null;
  readonly documents: readonly PreviewDocument[];
  /** Documents a run would move (action move or verify-existing) and their bytes. */
  readonly documentCount: number;
  readonly totalBytes: number;
  readonly pairing: { readonly present: boolean; readonly willApply: boolean };
  readonly apiKey: 'will-create' | 'already-present' | 'not-configured';
  readonly warnings: readonly string[];
}

export interface MigrationProgress {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface SingleToMultiResult {
  readonly runId: string;
  readonly status: 'completed' | 'failed';
  readonly startedAt: Date;
  readonly completedAt: Date;
  readonly report: SingleToMultiReport;
}

export function emptyReport(targetUserId: string): SingleToMultiReport {
  return { targetUserId, moved: [], skipped: [], failed: [], pairing: 'absent', apiKey: 'not-configured', bytes: 0, warnings: [] };
}
