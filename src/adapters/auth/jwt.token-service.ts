import jwt from 'jsonwebtoken';
import type { TokenClaims, TokenService } from '../../application/ports/token-service.port';

/** HS256 JWTs, as Aviary issues them; any other algorithm is refused. */
export class JwtTokenService implements TokenService {
  constructor(
    private readonly secret: string,
    private readonly lifetimeHours: number,
  ) {}

  sign(claims: TokenClaims): string {
    return jwt.sign({ user_id: claims.userId }, this.secret, {
      algorithm: 'HS256',
      subject: claims.userId,
      expiresIn: `${this.lifetimeHours}h`,
    });
  }

  verify(token: string): TokenClaims | null {
    try {
      const payload = jwt.verify(token, this.secret, { algorithms: ['HS256'] });
      if (typeof payload !== 'object' || typeof payload.sub !== 'string') return null;
      return { userId: payload.sub };
    } catch {
      return null;
    }
  }
}
