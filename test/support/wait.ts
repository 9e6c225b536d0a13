/**
 * Waits on a condition, never on a guess of how long something takes: polls `condition` until it holds,
 * failing after `timeoutMs` (a bound for a hung run, not a timing assertion) with what was awaited.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; !(await condition()); delay = Math.min(delay * 2, 250)) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
