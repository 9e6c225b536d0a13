import assert from 'node:assert/strict';
import { FAULT_POINTS } from '../../src/application/ports/fault-points.port';
import { faultPointsFromEnv, InjectedFaultPoints, NO_FAULTS } from '../../src/adapters/system/env.fault-points';

describe('fault points', () => {
  it('names at least 12 steps across restore, backup, upload and the single-user migration', () => {
    assert.ok(FAULT_POINTS.length >= 12);
    for (const area of ['restore.', 'backup.', 'upload.', 'single-to-multi.']) assert.ok(FAULT_POINTS.some((p) => p.startsWith(area)), area);
  });

  it('AVIARY_FAULT_POINT is honoured only under NODE_ENV=test; production gets the no-op', async () => {
    assert.equal(faultPointsFromEnv({ AVIARY_FAULT_POINT: 'restore.mid-swap:throw' }), NO_FAULTS);
    assert.equal(faultPointsFromEnv({ NODE_ENV: 'production', AVIARY_FAULT_POINT: 'restore.mid-swap:throw' }), NO_FAULTS);
    assert.equal(faultPointsFromEnv({ NODE_ENV: 'test' }), NO_FAULTS);
    const armed = faultPointsFromEnv({ NODE_ENV: 'test', AVIARY_FAULT_POINT: 'restore.mid-swap:throw:2' });
    await armed.reach('restore.after-stage');
    await armed.reach('restore.mid-swap'); // the first time passes: the fault is on the second
    await assert.rejects(armed.reach('restore.mid-swap'), (e: { category?: string; code?: string }) => e.category === 'unavailable' && e.code === 'fault_injected');
    assert.throws(() => faultPointsFromEnv({ NODE_ENV: 'test', AVIARY_FAULT_POINT: 'no.such-point:kill' }), /AVIARY_FAULT_POINT/);
    assert.throws(() => faultPointsFromEnv({ NODE_ENV: 'test', AVIARY_FAULT_POINT: 'restore.mid-swap:explode' }), /AVIARY_FAULT_POINT/);
  });

  it('a thrown fault fires once, at its point only', async () => {
    const faults = new InjectedFaultPoints('backup.before-move', 'throw');
    await faults.reach('backup.after-move');
    await assert.rejects(faults.reach('backup.before-move'));
    await faults.reach('backup.before-move');
  });
});
