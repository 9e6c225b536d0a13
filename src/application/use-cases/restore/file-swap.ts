import type { BlobStore } from '../../ports/blob-store.port';
import { listAll } from '../blob-listing';

/**
 * How a restore's documents replace the current ones, written to storage before anything moves so
 * that a crash half-way can be undone: current files are set aside under `previous/`, staged files
 * moved into place. Until the database commit (whose marker is `markerId`) everything is reversible.
 */
export interface SwapPlan {
  readonly runId: string;
  readonly markerId: string;
  /** Current keys moved out of the way (replaced or removed). */
  readonly setAside: readonly string[];
  /** Targets filled from staging; `existedBefore` targets are also in setAside. */
  readonly place: readonly { readonly target: string; readonly existedBefore: boolean }[];
}

/** Every restore run's scratch space lies below this prefix, one folder per run id. */
const RESTORE_SCRATCH = 'tmp/restore/';
export const restoreRoot = (runId: string) => `${RESTORE_SCRATCH}${runId}/`;

/** The ids of runs that left scratch space behind (finished runs remove theirs). */
export async function unsettledRunIds(blobs: BlobStore): Promise<Set<string>> {
  const runIds = new Set<string>();
  for await (const blob of listAll(blobs, RESTORE_SCRATCH)) runIds.add(blob.key.slice(RESTORE_SCRATCH.length).split('/', 1)[0]);
  return runIds;
}
export const stagedKey = (runId: string, target: string) => `${restoreRoot(runId)}staged/${target}`;
export const previousKey = (runId: string, target: string) => `${restoreRoot(runId)}previous/${target}`;
export const planKey = (runId: string) => `${restoreRoot(runId)}plan.json`;

async function* once(data: Uint8Array): AsyncGenerator<Uint8Array> {
  yield data;
}

export async function savePlan(blobs: BlobStore, plan: SwapPlan): Promise<void> {
  const body = new TextEncoder().encode(JSON.stringify(plan));
  await blobs.put(planKey(plan.runId), once(body), { size: body.length });
}

export async function loadPlan(blobs: BlobStore, runId: string): Promise<SwapPlan | null> {
  if (!(await blobs.stat(planKey(runId)))) return null;
  const parts: Uint8Array[] = [];
  for await (const chunk of await blobs.get(planKey(runId))) parts.push(chunk);
  return JSON.parse(new TextDecoder().decode(Buffer.concat(parts))) as SwapPlan;
}

/** Moves under way at once: each is a few round trips (link and unlink, or S3 copy and delete). */
const MOVES_AT_ONCE = 8;

/**
 * Moves current files aside, then staged files into place; `afterSetAside` runs between the two.
 * Moves of one phase run side by side: `swapBack` undoes any subset of them.
 */
export async function swapIn(blobs: BlobStore, plan: SwapPlan, afterSetAside?: () => Promise<void>): Promise<void> {
  await eachAtMost(MOVES_AT_ONCE, plan.setAside, (key) => blobs.move(key, previousKey(plan.runId, key)));
  await afterSetAside?.();
  await eachAtMost(MOVES_AT_ONCE, plan.place, ({ target }) => blobs.move(stagedKey(plan.runId, target), target));
}

/** `work` for every item, at most `limit` at once; after a failure nothing new starts, and the first failure is thrown once the running ones have ended. */
async function eachAtMost<T>(limit: number, items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (!failure && next < items.length) {
      const item = items[next++];
      await work(item).catch((error) => void (failure ??= { error }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.error;
}

/**
 * Puts every file back as it was before `swapIn` began, whatever point it reached. Idempotent, and safe
 * to rerun after a crash at any point, including inside a move that copied but had not yet deleted its
 * source (an S3 move, or a hard link on a filesystem): a placed file that did not exist before goes
 * whatever its staged copy shows; a set-aside file comes back from `previous/` over whatever is there.
 */
export async function swapBack(blobs: BlobStore, plan: SwapPlan): Promise<void> {
  for (const { target, existedBefore } of [...plan.place].reverse()) {
    if (!existedBefore && (await blobs.stat(target))) await blobs.delete(target);
  }
  for (const key of plan.setAside) {
    const previous = previousKey(plan.runId, key);
    if (!(await blobs.stat(previous))) continue;
    // `previous/` holds a complete copy: what sits at the key now is the restored file or the same original.
    await blobs.delete(key);
    await blobs.move(previous, key);
  }
}
