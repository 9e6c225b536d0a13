import type { Row } from '../schema/column';

/** How many missing files a warning names by path; the count covers the rest. */
const EXAMPLES = 5;

export interface MissingDocumentsSummary {
  readonly count: number;
  readonly examples: readonly string[];
}

/**
 * The storage key a `documents` row points at, read from its `local_path`: Aviary writes it
 * absolute (`/data/users/{id}/pdfs/…`) or relative to its data directory, so the key is whatever
 * follows the first `users/{user_id}/pdfs/`. Null when the path does not name one.
 */
export function documentKeyOf(row: Row): string | null {
  const userId = typeof row.user_id === 'string' ? row.user_id.toLowerCase() : '';
  const localPath = typeof row.local_path === 'string' ? row.local_path.replace(/\\/g, '/') : '';
  const marker = `users/${userId}/pdfs/`;
  const at = userId ? localPath.toLowerCase().indexOf(marker) : -1;
  if (at < 0 || (at > 0 && localPath[at - 1] !== '/')) return null;
  const relative = localPath.slice(at + marker.length);
  return relative ? `${marker}${relative}` : null;
}

/**
 * Counts `documents` rows whose file is not in storage, typically after STORAGE_BACKEND was
 * switched while the database was kept. A backup still completes, but says so.
 */
export class MissingDocuments {
  private missing = 0;
  private readonly examples: string[] = [];

  constructor(private readonly stored: ReadonlySet<string>) {}

  check(row: Row): void {
    const key = documentKeyOf(row);
    if (key === null || this.stored.has(key)) return;
    this.missing++;
    if (this.examples.length < EXAMPLES) this.examples.push(key);
  }

  summary(): MissingDocumentsSummary | null {
    return this.missing === 0 ? null : { count: this.missing, examples: [...this.examples] };
  }
}

export function missingDocumentsWarning(summary: MissingDocumentsSummary): string {
  const more = summary.count > summary.examples.length ? ', …' : '';
  return (
    `${summary.count} document row${summary.count === 1 ? ' points' : 's point'} at ${summary.count === 1 ? 'a file' : 'files'} ` +
    `that ${summary.count === 1 ? 'is' : 'are'} not in storage (${summary.examples.join(', ')}${more}); the archive holds ` +
    'those rows without their files. This happens when STORAGE_BACKEND changed while the database was kept.'
  );
}
