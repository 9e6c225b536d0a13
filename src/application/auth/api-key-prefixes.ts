import { apiKeyLookupPrefix, isAviaryFormatKey, storesVisiblePrefix } from '../../domain/api-key';
import type { ApiKeyTagger } from '../ports/api-key-tagger.port';

/** The `key_prefix` a new key is stored under. */
export function storedApiKeyPrefix(key: string, tagger: ApiKeyTagger): string {
  return storesVisiblePrefix(key) ? apiKeyLookupPrefix(key) : tagger.tag(key);
}

/**
 * Where a presented key may be stored: its keyed tag, and for `aviary_` keys also their first 16
 * characters (keys made by Aviary or restored from its archives). Looked up in one query.
 */
export function apiKeyLookupPrefixes(key: string, tagger: ApiKeyTagger): string[] {
  return isAviaryFormatKey(key) ? [apiKeyLookupPrefix(key), tagger.tag(key)] : [tagger.tag(key)];
}
