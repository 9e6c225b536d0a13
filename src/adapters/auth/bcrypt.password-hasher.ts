import bcrypt from 'bcrypt';
import type { PasswordHasher } from '../../application/ports/system.port';

/** bcrypt, as Aviary stores it: hashes move between the two verbatim. */
export class BcryptPasswordHasher implements PasswordHasher {
  constructor(private readonly cost = 10) {}

  hash(plain: string): Promise<string> {
    return bcrypt.hash(plain, this.cost);
  }

  async verify(plain: string, hash: string): Promise<boolean> {
    if (!hash.startsWith('$2')) return false;
    try {
      return await bcrypt.compare(plain, hash);
    } catch {
      return false;
    }
  }
}
