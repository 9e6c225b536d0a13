import { createHash } from 'node:crypto';

/** API keys are shown once as `aviary_<secret>`; the database keeps a bcrypt hash and a prefix. */
export const API_KEY_PREFIX_LENGTH = 16;

/** A key shorter than this keeps too little secret after its first 16 characters to show them. */
const MIN_KEY_LENGTH_FOR_VISIBLE_PREFIX = 32;

export function apiKeyLookupPrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX_LENGTH);
}

/**
 * Non-secret lookup tag for keys whose first characters must not be stored (short or non-`aviary_`
 * keys, e.g. a migrated single-user API_KEY): `legacy_` + 4 hex digits of sha256(key). Sixteen bits
 * narrow a lookup to a handful of rows without telling anything useful about a short key.
 */
export function legacyApiKeyTag(key: string): string {
  return `legacy_${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 4)}`;
}

/** The `key_prefix` stored for a key: its first 16 characters only when that leaves a long secret. */
export function apiKeyStoredPrefix(key: string): string {
  return key.startsWith('aviary_') && key.length >= MIN_KEY_LENGTH_FOR_VISIBLE_PREFIX ? apiKeyLookupPrefix(key) : legacyApiKeyTag(key);
}

/**
 * Every `key_prefix` under which a presented key may be stored: the first 16 characters (keys made by
 * Aviary or restored from its archives) and, for keys that may have been stored by tag, the tag.
 */
export function apiKeyLookupPrefixes(key: string): string[] {
  const prefixes = [apiKeyLookupPrefix(key)];
  if (apiKeyStoredPrefix(key) !== prefixes[0]) prefixes.push(legacyApiKeyTag(key));
  return prefixes;
}

export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
