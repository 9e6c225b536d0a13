import { CHECKSUMS_ENTRY } from '../../../domain/archive/archive-format';
import { parseChecksumLine } from '../../../domain/archive/checksum-line';
import type { ArchiveEntryKind } from '../../ports/archive-reader.port';
import type { Findings } from './findings';

interface Pending {
  readonly sha256: string;
  readonly kind: ArchiveEntryKind;
}

/**
 * checksums.sha256 against the entries actually read, whichever comes first (ours is last).
 * Holds one digest per entry not yet matched (≈150 bytes each, bounded by maxEntries).
 */
export class ChecksumCheck {
  present = false;
  verified = 0;
  readonly mismatches: string[] = [];
  private readonly unmatched = new Map<string, Pending>();
  private listed: Map<string, string> | null = null;

  /** `maxLines`: the reader's entry limit; a longer list cannot be honest and must not fill memory. */
  constructor(
    private readonly findings: Findings,
    private readonly maxLines: number,
  ) {}

  /** An entry has been read to its end. */
  entryRead(name: string, kind: ArchiveEntryKind, sha256: string): void {
    if (kind === 'checksums') return;
    if (this.listed === null) {
      this.unmatched.set(name, { sha256, kind });
      return;
    }
    const expected = this.listed.get(name);
    if (expected === undefined) this.notListed(name, kind);
    else {
      this.listed.delete(name);
      this.compare(name, expected, sha256);
    }
  }

  /** Consumes the checksums file's lines. */
  async read(lines: AsyncIterable<string>): Promise<void> {
    this.present = true;
    this.listed = new Map();
    let n = 0;
    for await (const line of lines) {
      if (++n > this.maxLines) {
        this.findings.error(`${CHECKSUMS_ENTRY} has more than ${this.maxLines} lines, more than the archive may have entries`);
        return;
      }
      if (line.trim() === '') continue;
      const parsed = parseChecksumLine(line);
      if (!parsed) {
        this.findings.error(`${CHECKSUMS_ENTRY} line ${n} is not "<sha256>  <name>" (names escaped as sha256sum does)`, CHECKSUMS_ENTRY);
        continue;
      }
      const { sha256, name } = parsed;
      const read = this.unmatched.get(name);
      if (read) {
        this.unmatched.delete(name);
        this.compare(name, sha256, read.sha256);
      } else this.listed.set(name, sha256);
    }
  }

  /** After the last entry: what was listed but absent, and what was present but not listed. */
  finish(): void {
    if (!this.present) return;
    for (const [name, read] of this.unmatched) this.notListed(name, read.kind);
    for (const name of this.listed?.keys() ?? []) {
      this.findings.error(`${CHECKSUMS_ENTRY} lists ${JSON.stringify(name)}, which is not in the archive`, CHECKSUMS_ENTRY);
    }
  }

  private compare(name: string, expected: string, actual: string): void {
    if (expected === actual) {
      this.verified++;
      return;
    }
    this.mismatches.push(name);
    this.findings.error(`Entry ${JSON.stringify(name)}: sha256 mismatch (the archive holds ${actual}, ${CHECKSUMS_ENTRY} says ${expected}): its content is corrupt`, 'checksum mismatches');
  }

  private notListed(name: string, kind: ArchiveEntryKind): void {
    // Entries that are skipped anyway (AppleDouble files added by macOS) do not make it invalid.
    if (kind === 'ignored') this.findings.warn(`Entry ${JSON.stringify(name)} is not listed in ${CHECKSUMS_ENTRY}`, CHECKSUMS_ENTRY);
    else this.findings.error(`Entry ${JSON.stringify(name)} is not listed in ${CHECKSUMS_ENTRY}`, CHECKSUMS_ENTRY);
  }
}
