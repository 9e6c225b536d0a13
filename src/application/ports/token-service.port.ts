/** Signs and verifies session tokens (the `auth_token` cookie). */
export interface TokenClaims {
  readonly userId: string;
  /** The `user_sessions` row this token belongs to (its `jti`). */
  readonly sessionId: string;
}

export interface VerifiedToken extends TokenClaims {
  readonly expiresAt: Date;
}

export interface TokenService {
  /** A token expiring after the configured session lifetime. */
  sign(claims: TokenClaims): { token: string; expiresAt: Date };
  /** null for a bad signature, a wrong algorithm, an expired token, or one without `exp`, `sub` or `jti`. */
  verify(token: string): VerifiedToken | null;
}
