import type { BlobStore } from '../../ports/blob-store.port';

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

export const restoreRoot = (runId: string) => `tmp/restore/${runId}/`;
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

/** Moves current files aside and staged files into place; `onStep` counts moves for progress. */
export async function swapIn(blobs: BlobStore, plan: SwapPlan, onStep?: () => void): Promise<void> {
  for (const key of plan.setAside) {
    await blobs.move(key, previousKey(plan.runId, key));
    onStep?.();
  }
  for (const { target } of plan.place) {
    await blobs.move(stagedKey(plan.runId, target), target);
    onStep?.();
  }
}

/** Puts every file back as it was before `swapIn` began, whatever point it reached. Idempotent. */
export async function swapBack(blobs: BlobStore, plan: SwapPlan): Promise<void> {
  for (const { target, existedBefore } of [...plan.place].reverse()) {
    if (existedBefore) continue;
    const placed = (await blobs.stat(stagedKey(plan.runId, target))) === null && (await blobs.stat(target)) !== null;
    if (placed) await blobs.delete(target);
  }
  for (const key of plan.setAside) {
    if (await blobs.stat(previousKey(plan.runId, key))) await blobs.move(previousKey(plan.runId, key), key);
  }
}
