import { createHmac } from 'node:crypto';
import type { ApiKeyTagger } from '../../application/ports/api-key-tagger.port';
import { API_KEY_TAG_MARKER } from '../../domain/api-key';

/**
 * `tag_` + 12 base64url characters (72 bits) of HMAC-SHA256 under a key derived from the JWT
 * secret. Without that secret the stored tag tells nothing about the key (no offline shortcut past
 * bcrypt); with it, a lookup finds a row only for the right key, so bcrypt never runs for a guess.
 */
export class HmacApiKeyTagger implements ApiKeyTagger {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('aviary-backup api key lookup tag v1').digest();
  }

  tag(apiKey: string): string {
    return API_KEY_TAG_MARKER + createHmac('sha256', this.key).update(apiKey, 'utf8').digest('base64url').slice(0, 12);
  }
}
