/**
 * Named steps of the long-running use cases where a test can stop the work: throw there, or end the
 * process there, to prove that every crash leaves exactly the state before or the state after.
 * Production binds a no-op. Each name says where the work is when it is reached.
 */
export const FAULT_POINTS = [
  /** Archive read: rows spooled, documents staged, nothing current touched. */
  'restore.after-stage',
  /** The swap plan is stored; the transaction has not begun. */
  'restore.after-plan',
  /** Inside the transaction: rows replaced, no file moved yet. */
  'restore.after-rows',
  /** Inside the transaction: current files set aside, staged files not yet placed. */
  'restore.mid-swap',
  /** Inside the transaction: every staged file placed. */
  'restore.after-swap-in',
  /** Inside the transaction: the last step before the commit marker and COMMIT. */
  'restore.before-commit',
  /** Committed; scratch space and commit marker not yet cleared. */
  'restore.after-commit',
  /** A backup has written its database tables and part of its documents (to the temporary key). */
  'backup.mid-documents',
  /** The archive is complete under its temporary key, not yet under its final name. */
  'backup.before-move',
  /** The archive has its final name; the job row does not yet say so. */
  'backup.after-move',
  /** A restore upload has received part of its body. */
  'upload.mid-body',
  /** Single-user migration: a document is copied and verified; its original still exists. */
  'single-to-multi.after-copy',
  /** Single-user migration: a document's original was deleted after its verified copy. */
  'single-to-multi.after-delete',
  /** Single-user migration: between two documents. */
  'single-to-multi.before-document',
] as const;

export type FaultPointName = (typeof FAULT_POINTS)[number];

export interface FaultPoints {
  /** Called by the work at each named step; resolves at once unless a test arranged a fault there. */
  reach(point: FaultPointName): Promise<void>;
}
