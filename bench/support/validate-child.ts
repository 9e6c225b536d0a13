/**
 * One measured validation, in its own process so its peak RSS is its own:
 *   node validate-child.js <archive.tar.gz>
 * Prints one JSON line: workMs, maxRssKb (peak RSS, VmHWM), baselineRssKb, valid…
 */
import { peakRssKb } from './peak-rss';
import { createReadStream, statSync } from 'node:fs';
import { TarGzArchiveReader } from '../../src/adapters/archive/tar-gz.archive-reader';
import { ValidateArchive } from '../../src/application/use-cases/validate-archive.use-case';

async function main(file: string) {
  const baselineRssKb = Math.round(process.memoryUsage().rss / 1024);
  const started = performance.now();
  const analysis = await new ValidateArchive(new TarGzArchiveReader(), null, { now: () => new Date() })
    .execute({ source: createReadStream(file, { highWaterMark: 256 * 1024 }), sizeBytes: statSync(file).size });
  const workMs = performance.now() - started;
  const { valid, errors, warnings, entries, compressed_bytes, uncompressed_bytes, checksums } = analysis;
  console.log(JSON.stringify({
    workMs, maxRssKb: peakRssKb(), baselineRssKb, valid, errors: errors.slice(0, 5),
    warnings: warnings.slice(0, 5), entries, compressed_bytes, uncompressed_bytes, verified: checksums.verified,
  }));
}

main(process.argv[2]).catch((error) => {
  console.error(error);
  process.exit(1);
});
