import assert from 'node:assert/strict';
import { nextRun, parseCron } from '../../src/domain/cron';

describe('BACKUP_SCHEDULE cron (UTC)', () => {
  const at = (iso: string) => new Date(iso);

  it('finds the next minute each expression fires on', () => {
    assert.equal(nextRun(parseCron('@daily'), at('2026-03-04T10:20:30Z')).toISOString(), '2026-03-05T00:00:00.000Z');
    assert.equal(nextRun(parseCron('30 2 * * *'), at('2026-03-04T02:30:00Z')).toISOString(), '2026-03-05T02:30:00.000Z');
    assert.equal(nextRun(parseCron('*/15 * * * *'), at('2026-03-04T10:16:00Z')).toISOString(), '2026-03-04T10:30:00.000Z');
    assert.equal(nextRun(parseCron('0 3 * * 0'), at('2026-03-04T10:00:00Z')).toISOString(), '2026-03-08T03:00:00.000Z');
    assert.equal(nextRun(parseCron('0 0 1 * *'), at('2026-12-15T00:00:00Z')).toISOString(), '2027-01-01T00:00:00.000Z');
    assert.equal(nextRun(parseCron('5/20 1-2 * * *'), at('2026-03-04T01:50:00Z')).toISOString(), '2026-03-04T02:05:00.000Z');
  });

  it('refuses what it cannot read, saying which field', () => {
    assert.throws(() => parseCron('every day'), /5 fields/);
    assert.throws(() => parseCron('61 * * * *'), /minute/);
    assert.throws(() => parseCron('0 0 * 13 *'), /month/);
    assert.throws(() => nextRun(parseCron('0 0 31 2 *'), new Date()), /never fires/);
  });
});
