import type { VersionComparison } from '../../../domain/archive/backup-analysis';

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export interface VersionVerdict {
  readonly comparison: VersionComparison;
  readonly requiresForce: boolean;
  readonly warning?: string;
}

function parse(version: string): [number, number, number, string | undefined] | null {
  const m = SEMVER.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4]] : null;
}

/**
 * Compares the archive's aviary_version with the release this service implements. A well-formed
 * newer version requires force only when restoring would drop data (`wouldDrop`: the unknown tables
 * with rows and `table.column`s with values the archive carries); otherwise it restores with a
 * warning, since Aviary's UI has no way to send force. `dev`, other non-semver strings and a
 * leading `v` earn a warning, as in Aviary's UI.
 */
export function compareVersion(archive: string, service: string, wouldDrop: readonly string[] = []): VersionVerdict {
  const trimmed = archive.trim();
  if (trimmed === '' || trimmed === 'dev' || trimmed === 'unknown') {
    return { comparison: 'unknown', requiresForce: false, warning: `The backup was made by a development or unknown Aviary build (aviary_version ${JSON.stringify(archive)}); compatibility cannot be checked` };
  }
  const leadingV = /^v\d/i.test(trimmed);
  const a = parse(leadingV ? trimmed.slice(1) : trimmed);
  const s = parse(service);
  if (!a || !s) {
    return { comparison: 'unknown', requiresForce: false, warning: `aviary_version ${JSON.stringify(archive)} is not a semantic version; compatibility cannot be checked` };
  }
  let order = 0;
  for (let i = 0; i < 3 && order === 0; i++) order = Math.sign((a[i] as number) - (s[i] as number));
  // Same core: a pre-release (1.9.0-rc1) comes before the release.
  if (order === 0 && a[3] !== s[3]) order = a[3] === undefined ? 1 : s[3] === undefined ? -1 : Math.sign(a[3].localeCompare(s[3]));
  const comparison: VersionComparison = order > 0 ? 'newer' : order < 0 ? 'older' : 'same';
  const notes: string[] = [];
  if (leadingV) notes.push(`aviary_version ${JSON.stringify(archive)} has a leading "v"; compared as ${trimmed.slice(1)}`);
  const drops = comparison === 'newer' && wouldDrop.length > 0;
  if (drops) {
    const listed = wouldDrop.slice(0, 10).join(', ') + (wouldDrop.length > 10 ? ', …' : '');
    notes.push(`The backup was made by Aviary ${archive}, newer than ${service} which this service implements, and holds data this service does not know (${listed}); restoring would drop it, so a restore requires force`);
  } else if (comparison === 'newer') {
    notes.push(`The backup was made by Aviary ${archive}, newer than ${service} which this service implements; it holds no table or column this service does not know, so it restores without loss`);
  }
  return { comparison, requiresForce: drops, ...(notes.length ? { warning: notes.join('. ') } : {}) };
}
