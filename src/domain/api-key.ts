import { createHash } from 'node:crypto';

/** API keys are shown once as `aviary_<secret>`; the database keeps a bcrypt hash and a prefix. */
export const API_KEY_PREFIX_LENGTH = 16;

/** A key shorter than this keeps too little secret after its first 16 characters to show them. */
const MIN_KEY_LENGTH_FOR_VISIBLE_PREFIX = 32;

/** Starts the `key_prefix` of a key stored under a keyed tag instead of its first characters. */
export const API_KEY_TAG_MARKER = 'tag_';

export function apiKeyLookupPrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX_LENGTH);
}

/** Aviary's format: Aviary makes, stores and finds only keys starting `aviary_`, by their first 16 characters. */
export function isAviaryFormatKey(key: string): boolean {
  return key.startsWith('aviary_');
}

/** Long `aviary_` keys are stored under their first 16 characters (as Aviary does); others under a tag. */
export function storesVisiblePrefix(key: string): boolean {
  return isAviaryFormatKey(key) && key.length >= MIN_KEY_LENGTH_FOR_VISIBLE_PREFIX;
}

/**
 * The tag earlier versions stored for short keys: `legacy_` + 4 hex digits of sha256(key). Sixteen
 * bits told a caller, by timing, when a guess shared them. Only the single-user migration looks it
 * up (at start, with API_KEY from the environment) to move such a row to a keyed tag; requests never do.
 */
export function oldApiKeyTag(key: string): string {
  return `legacy_${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 4)}`;
}

export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
