import { parseByteSize } from '../../src/domain/byte-size';

/** A size given on the command line (`500MB`, `2GiB`, `1048576`); anything else stops the script. */
export function byteSizeArgument(text: string): number {
  const bytes = parseByteSize(text);
  if (bytes === null) throw new Error(`not a size: ${JSON.stringify(text)} (examples: 500MB, 2GiB, 1048576)`);
  return bytes;
}
