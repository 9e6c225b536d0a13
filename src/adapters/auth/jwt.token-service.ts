import jwt from 'jsonwebtoken';
import type { TokenClaims, TokenService, VerifiedToken } from '../../application/ports/token-service.port';

/**
 * HS256 JWTs, as Aviary issues them; any other algorithm is refused. A token must carry `exp`
 * (jsonwebtoken accepts a token without one as never expiring) and the id of its session row.
 */
export class JwtTokenService implements TokenService {
  constructor(
    private readonly secret: string,
    private readonly lifetimeHours: number,
  ) {}

  sign(claims: TokenClaims): { token: string; expiresAt: Date } {
    const token = jwt.sign({ user_id: claims.userId }, this.secret, {
      algorithm: 'HS256',
      subject: claims.userId,
      jwtid: claims.sessionId,
      expiresIn: `${this.lifetimeHours}h`,
    });
    const { exp } = jwt.decode(token) as { exp: number };
    return { token, expiresAt: new Date(exp * 1000) };
  }

  verify(token: string): VerifiedToken | null {
    try {
      const payload = jwt.verify(token, this.secret, { algorithms: ['HS256'] });
      if (typeof payload !== 'object' || typeof payload.sub !== 'string') return null;
      if (typeof payload.exp !== 'number' || typeof payload.jti !== 'string') return null;
      return { userId: payload.sub, sessionId: payload.jti, expiresAt: new Date(payload.exp * 1000) };
    } catch {
      return null;
    }
  }
}
