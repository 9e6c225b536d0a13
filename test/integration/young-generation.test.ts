import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const MB = 1024 ** 2;

/**
 * Streamed chunks that outlive two young-generation collections die in the old generation: a read
 * pass of 64 KiB chunks, each alive while the next 160 are made (10 MB, as chunks queued for a
 * file or for SQLite stay alive), in a child process running the compiled collector with nothing
 * else on its heap. V8 alone collects the old generation only once external memory grew by 64 MB.
 */
describe('YoungCollector bounds the dead buffers a stream leaves in the old generation', function () {
  this.timeout(120_000);

  before(async () => {
    await run(process.execPath, [join(root, 'scripts', 'build.js'), '--if-stale'], { cwd: root });
  });

  it('buffer memory stays within the live chunks plus 16 MB and what is being freed', async () => {
    const script = `
      const { YoungCollector } = require('./dist/adapters/young-generation');
      const young = new YoungCollector({ reclaimOld: true });
      const alive = new Array(160).fill(null);
      let most = 0;
      for (let i = 0; i < 4000; i++) {
        alive[i % alive.length] = Buffer.allocUnsafe(64 * 1024);
        young.passed(64 * 1024);
        if (i % 16 === 0) most = Math.max(most, process.memoryUsage().arrayBuffers);
      }
      process.stdout.write(String(most));`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: root });
    const most = Number(stdout);
    console.log(`      most buffer memory ${Math.round(most / MB)} MB (10 MB alive)`);
    // Without full collections it reached 78 MB; with them 32 MB.
    assert.ok(most < 48 * MB, `${Math.round(most / MB)} MB of buffers`);
  });

  // A forced full collection set V8 marking the old generation again every ~40 ms for a while (a
  // files restore of 954 MiB: 5.5-6.3 s instead of 3.2-3.4 s), so streams of documents take none.
  it('takes full collections only for streams that ask for them (rows), none for documents', async () => {
    const script = (reclaimOld: boolean) => `
      const { PerformanceObserver, constants } = require('node:perf_hooks');
      const { YoungCollector } = require('./dist/adapters/young-generation');
      let forcedFull = 0;
      const observer = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR && (e.detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED)) forcedFull++;
        }
      });
      observer.observe({ entryTypes: ['gc'] });
      const young = new YoungCollector({ reclaimOld: ${reclaimOld} });
      const alive = new Array(160).fill(null);
      for (let i = 0; i < 4000; i++) {
        alive[i % alive.length] = Buffer.allocUnsafe(64 * 1024);
        young.passed(64 * 1024);
      }
      setTimeout(() => { observer.disconnect(); process.stdout.write(String(forcedFull)); }, 50);`;
    const rows = Number((await run(process.execPath, ['-e', script(true)], { cwd: root })).stdout);
    const documents = Number((await run(process.execPath, ['-e', script(false)], { cwd: root })).stdout);
    console.log(`      forced full collections: rows ${rows}, documents ${documents}`);
    assert.ok(rows > 0, 'a row stream holding 10 MB of chunks gets full collections');
    assert.equal(documents, 0);
  });
});
