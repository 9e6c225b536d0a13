/** API keys are shown once as `aviary_<secret>`; the database keeps a bcrypt hash and a prefix. */
export const API_KEY_PREFIX_LENGTH = 16;

export function apiKeyLookupPrefix(key: string): string {
  return key.slice(0, API_KEY_PREFIX_LENGTH);
}

export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
