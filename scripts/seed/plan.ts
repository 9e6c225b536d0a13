import { createHash } from 'node:crypto';
import { DOCUMENT_TYPE, documentBaseName, documentKind, FOLDERS, COMPRESSIBLE, username, type DocumentKind } from './catalogue';
import { Prng } from './prng';

/** What will be generated, decided up front from the seed alone (no I/O, no clock). */
export interface PlannedApiKey {
  readonly id: string;
  readonly name: string;
  /** The whole key, as a client would send it. */
  readonly key: string;
  readonly active: boolean;
  /** Days from now; negative = already expired; null = never expires. */
  readonly expiresInDays: number | null;
}

export interface PlannedUser {
  readonly id: string;
  readonly username: string;
  readonly email: string;
  /** Always `password-<username>`. */
  readonly password: string;
  readonly isAdmin: boolean;
  readonly isActive: boolean;
  readonly oidcSubject: string | null;
  readonly paired: boolean;
  readonly folders: readonly string[];
  readonly apiKeys: readonly PlannedApiKey[];
}

export interface PlannedDocument {
  readonly userId: string;
  /** Path below the user's pdfs/ folder. */
  readonly relativePath: string;
  readonly key: string;
  readonly kind: DocumentKind;
  readonly documentType: string;
  readonly size: number;
  /** Content label: the body is a function of it alone. */
  readonly label: string;
}

export const seedPassword = (name: string) => `password-${name}`;

/** The known API key number `index` of a seeded user: `aviary_` + 40 hex digits. */
export function seedApiKey(seed: string, name: string, index: number): string {
  return `aviary_${createHash('sha256').update(`apikey:${seed}:${name}:${index}`).digest('hex').slice(0, 40)}`;
}

const KEY_NAMES = ['iOS Shortcuts', 'Home Assistant', 'CLI', 'Zapier', 'Calibre plugin', 'n8n'];

export function planUsers(seed: string, count: number, withAdmin: boolean): PlannedUser[] {
  const rng = new Prng(`${seed}:users`);
  const users: PlannedUser[] = [];
  for (let i = 0; i < count; i++) {
    const name = username(rng, i);
    const id = rng.uuid();
    const keyCount = rng.int(1, 3);
    const apiKeys: PlannedApiKey[] = [];
    for (let k = 0; k < keyCount; k++) {
      const expiry = rng.next();
      apiKeys.push({
        id: rng.uuid(),
        name: rng.pick(KEY_NAMES),
        key: seedApiKey(seed, name, k),
        // Key 0 always works, so every user has one usable key; later ones may be revoked or expired.
        active: k === 0 || rng.chance(0.7),
        expiresInDays: k === 0 ? null : expiry < 0.5 ? null : expiry < 0.75 ? -rng.int(1, 90) : rng.int(1, 365),
      });
    }
    const folderCount = rng.int(2, 8);
    const folders = [...new Set(['', ...Array.from({ length: folderCount }, () => rng.pick(FOLDERS))])].sort();
    users.push({
      id,
      username: name,
      email: `${name}@example.org`,
      password: seedPassword(name),
      isAdmin: withAdmin && i === 0,
      // A few inactive users, never the admin.
      isActive: i % 5 !== 2,
      oidcSubject: i % 3 === 1 ? `oidc|${rng.hex(12)}` : null,
      paired: i === 0 || rng.chance(0.8),
      folders,
      apiKeys,
    });
  }
  return users;
}

/**
 * `count` documents over the users (a few users own most of them), their sizes log-normally
 * spread (KB to tens of MB at a ~1 MB mean) and scaled so they add up to exactly `totalBytes`.
 */
export function planDocuments(seed: string, users: readonly PlannedUser[], count: number, totalBytes: number): PlannedDocument[] {
  if (count > 0 && users.length === 0) throw new Error('documents need at least one user');
  const rng = new Prng(`${seed}:documents`);
  const userWeights = users.map(() => Math.exp(rng.normal()));
  const taken = new Set<string>();
  const drafts = Array.from({ length: count }, () => {
    const user = users[weightedIndex(rng, userWeights)];
    const kind = documentKind(rng);
    const folder = rng.pick(user.folders);
    const relativePath = uniquePath(taken, user.id, `${folder ? folder + '/' : ''}${documentBaseName(rng)}`, kind);
    // Text documents are small in practice: they keep the compressible share of bytes low.
    const weight = Math.exp(1.6 * rng.normal()) * (COMPRESSIBLE.has(kind) ? 0.3 : 1);
    return { user, kind, relativePath, weight };
  });
  const sizes = scaleSizes(drafts.map((d) => d.weight), totalBytes);
  return drafts.map((d, i) => ({
    userId: d.user.id,
    relativePath: d.relativePath,
    key: `users/${d.user.id}/pdfs/${d.relativePath}`,
    kind: d.kind,
    documentType: DOCUMENT_TYPE[d.kind],
    size: sizes[i],
    label: `${seed}:${d.user.id}:${d.relativePath}`,
  }));
}

function weightedIndex(rng: Prng, weights: readonly number[]): number {
  let r = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/** Unique per user, case-insensitively (so the tree also extracts on macOS and Windows). */
function uniquePath(taken: Set<string>, userId: string, base: string, ext: string): string {
  for (let n = 1; ; n++) {
    const path = n === 1 ? `${base}.${ext}` : `${base} (${n}).${ext}`;
    const id = `${userId}/${path.toLowerCase()}`;
    if (!taken.has(id)) {
      taken.add(id);
      return path;
    }
  }
}

/** Integer sizes proportional to `weights`, each at least min(1 KiB, mean), summing to exactly `total`. */
export function scaleSizes(weights: readonly number[], total: number): number[] {
  if (weights.length === 0) return [];
  const floor = Math.min(1024, Math.floor(total / weights.length));
  const sum = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.max(floor, Math.floor((total * w) / sum)));
  let diff = total - sizes.reduce((a, b) => a + b, 0);
  // Settle the rounding on the largest files, which hardly notice it.
  const order = sizes.map((_, i) => i).sort((a, b) => sizes[b] - sizes[a]);
  for (let k = 0; diff !== 0; k = (k + 1) % order.length) {
    const i = order[k];
    const step = diff > 0 ? diff : Math.max(diff, floor - sizes[i]);
    sizes[i] += step;
    diff -= step;
    if (k === order.length - 1 && diff < 0 && step === 0) break; // cannot go lower than the floor
  }
  return sizes;
}
