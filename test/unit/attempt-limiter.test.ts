import assert from 'node:assert/strict';
import { AttemptLimiter } from '../../src/application/auth/attempt-limiter';
import { InMemoryAttemptCounterStore } from '../fakes/in-memory.attempt-counter-store';

describe('AttemptLimiter: a sliding window', () => {
  const rule = { scope: 'login', limit: 10, windowMs: 15 * 60_000 };
  const boundary = 1_800_000_000_000 - (1_800_000_000_000 % rule.windowMs);

  async function failuresAt(limiter: AttemptLimiter, times: number): Promise<void> {
    for (let i = 0; i < times; i++) assert.ok(await limiter.reserve(rule, 'root'), `attempt ${i + 1} allowed`);
  }

  it('a window boundary right after the limit was reached lets no attempt through', async () => {
    let now = boundary - 1_000;
    const limiter = new AttemptLimiter(new InMemoryAttemptCounterStore(), { now: () => new Date(now) });
    await failuresAt(limiter, rule.limit);
    assert.equal(await limiter.reserve(rule, 'root'), null, 'the 11th in the same window');
    for (const after of [1, 1_000, 60_000]) {
      now = boundary + after;
      assert.equal(await limiter.reserve(rule, 'root'), null, `${after} ms into the next window`);
    }
  });

  it('lets attempts back in as the previous window slides out, and all of them after a whole window', async () => {
    let now = boundary - 1;
    const limiter = new AttemptLimiter(new InMemoryAttemptCounterStore(), { now: () => new Date(now) });
    await failuresAt(limiter, rule.limit);
    now = boundary + rule.windowMs / 2; // half of the previous window's 10 failures still count
    await failuresAt(limiter, 5);
    assert.equal(await limiter.reserve(rule, 'root'), null);
    now = boundary + 2 * rule.windowMs; // a whole window later than the last failures
    await failuresAt(limiter, rule.limit);
  });
});
