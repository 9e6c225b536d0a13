/**
 * Sizes as operators write them and as messages show them. Decimal units are powers of 1000
 * (`500MB`, `1.5 GB`, `k`, `m`…), binary ones of 1024 (`10GiB`); a bare number is bytes.
 */
const UNITS: Readonly<Record<string, number>> = {
  '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
};

/** Whole bytes, or null when the text is not a size. */
export function parseByteSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return null;
  const unit = UNITS[m[2].toLowerCase()];
  if (unit === undefined) return null;
  return Math.floor(Number(m[1]) * unit);
}

const BINARY: readonly [number, string][] = [[1024 ** 4, 'TiB'], [1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB']];

/** `512 bytes`, `1.0 KiB`, `300.0 MiB`: the largest binary unit not above the size, one decimal. */
export function formatBytes(bytes: number): string {
  for (const [size, unit] of BINARY) if (bytes >= size) return `${(bytes / size).toFixed(1)} ${unit}`;
  return `${bytes} bytes`;
}
