/** Signs and verifies session tokens (the `auth_token` cookie). */
export interface TokenClaims {
  readonly userId: string;
}

export interface TokenService {
  sign(claims: TokenClaims): string;
  /** null for a bad signature, a wrong algorithm or an expired token. */
  verify(token: string): TokenClaims | null;
}
