import type { BlobStore } from '../../ports/blob-store.port';
import type { RecordStore } from '../../ports/record-store.port';
import { loadPlan, restoreRoot, swapBack } from './file-swap';

/** Where an unfinished restore ends up once settled. */
export type SettledAs = 'committed' | 'rolled_back';

/**
 * Brings one restore run to a final state, from wherever it stopped: when its database transaction
 * committed (the commit marker exists) the restored files stay and only scratch space goes; otherwise
 * every file is put back first, and only then is the scratch space (with `previous/`) removed.
 * Idempotent: a failure at any step leaves a state that the next call settles.
 * `committed` is for the caller that knows its transaction committed (its marker may be cleared already).
 */
export async function settleRestore(blobs: BlobStore, records: RecordStore, runId: string, committed = false): Promise<SettledAs> {
  const plan = await loadPlan(blobs, runId);
  const outcome: SettledAs = committed || (plan !== null && (await records.hasCommitMarker(plan.markerId))) ? 'committed' : 'rolled_back';
  if (plan && outcome === 'rolled_back') await swapBack(blobs, plan);
  await blobs.deletePrefix(restoreRoot(runId));
  if (plan) await records.clearCommitMarker(plan.markerId);
  return outcome;
}
