import { DOCUMENTS_DIR, LEGACY_CONFIGS_DIR } from '../../../domain/archive/archive-format';
import { isUuid } from '../../../domain/schema/values';
import type { Findings } from './findings';
import type { TableFacts } from './table-check';

interface DirTally {
  files: number;
  bytes: number;
}

/**
 * Document and legacy pairing files, counted per user directory (one small record per directory,
 * never per file). Whether a directory belongs to a user is only known once users.json is read.
 */
export class FileTally {
  private readonly documents = new Map<string, DirTally>();
  private readonly legacy = new Map<string, number>();
  documentFiles = 0;
  documentBytes = 0;
  legacyBytes = 0;

  addDocument(dir: string, size: number): void {
    const t = this.documents.get(dir) ?? { files: 0, bytes: 0 };
    t.files++;
    t.bytes += size;
    this.documents.set(dir, t);
    this.documentFiles++;
    this.documentBytes += size;
  }

  addLegacyConfig(dir: string, size: number): void {
    this.legacy.set(dir, size);
    this.legacyBytes += size;
  }

  /** Files restore would write, with warnings for those it will skip; and the legacy files it uses. */
  finish(facts: TableFacts, findings: Findings, kept: ReadonlySet<string> | null): { files: number; bytes: number; legacyUsed: string[] } {
    let files = 0;
    let bytes = 0;
    for (const [dir, t] of this.documents) {
      const problem = ownerProblem(dir, facts, kept);
      if (problem) findings.warn(`${DOCUMENTS_DIR}${dir}/: ${t.files} file${t.files > 1 ? 's' : ''} skipped: ${problem}`);
      else [files, bytes] = [files + t.files, bytes + t.bytes];
    }
    const legacyUsed: string[] = [];
    for (const dir of this.legacy.keys()) {
      const entry = `${LEGACY_CONFIGS_DIR}${dir}/rmapi.conf`;
      const problem = ownerProblem(dir, facts, kept);
      if (problem) findings.warn(`${entry} skipped: ${problem}`);
      else if (facts.usersWithoutPairing.has(dir.toLowerCase())) legacyUsed.push(dir.toLowerCase());
      else findings.warn(`${entry} ignored: the user's rmapi_config in database/users.json is newer and wins`);
    }
    return { files, bytes, legacyUsed };
  }

  /** Lower-case ids of the users whose documents the archive holds. */
  documentOwners(): Set<string> {
    return new Set([...this.documents.keys()].filter(isUuid).map((d) => d.toLowerCase()));
  }
}

/** Without a users table the archive's files go to the current users (`kept`, when known). */
function ownerProblem(dir: string, facts: TableFacts, kept: ReadonlySet<string> | null): string | undefined {
  if (!isUuid(dir)) return `${JSON.stringify(dir)} is not a user id`;
  const id = dir.toLowerCase();
  if (facts.broken.has('users')) return undefined;
  if (facts.userIds.size > 0) return facts.userIds.has(id) ? undefined : `user ${dir} is not in database/users.json`;
  if (kept !== null && !kept.has(id)) return `user ${dir} is neither in the archive nor in this database`;
  return undefined;
}
