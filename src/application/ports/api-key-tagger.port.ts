/**
 * The lookup tag of an API key whose first characters must not be stored (a short or non-`aviary_`
 * key, such as a migrated single-user API_KEY): 16 characters, keyed with a secret kept outside
 * the database, long enough that only the right key finds its row.
 */
export interface ApiKeyTagger {
  tag(key: string): string;
}
