/** What authentication needs from the users, api_keys and login_attempts tables. */
export interface UserAccount {
  readonly id: string;
  readonly username: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly isAdmin: boolean;
  readonly isActive: boolean;
  readonly rmapiPaired: boolean;
  readonly defaultRmdir: string;
  readonly createdAt: string;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  readonly keyHash: string;
  readonly keyPrefix: string;
  readonly isActive: boolean;
  readonly expiresAt: string | null;
}

export interface NewUser {
  readonly username: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly isAdmin: boolean;
}

export interface NewApiKey {
  readonly userId: string;
  readonly name: string;
  readonly keyHash: string;
  readonly keyPrefix: string;
}

export interface LoginAttempt {
  readonly ipAddress: string;
  readonly username: string;
  readonly success: boolean;
  readonly userAgent: string;
}

export interface NewSession {
  readonly id: string;
  readonly userId: string;
  /** sha256 (hex) of the session token: the token itself is never stored. */
  readonly tokenHash: string;
  readonly expiresAt: Date;
  readonly userAgent: string;
  /** At most 45 characters (the column's size). */
  readonly ipAddress: string;
}

export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly tokenHash: string;
  readonly expiresAt: string;
  readonly lastUsed: string | null;
  /** Logged out: true even when a restore brought the row back. */
  readonly revoked: boolean;
}

export interface AccountStore {
  countUsers(): Promise<number>;
  findUserById(id: string): Promise<UserAccount | null>;
  /** Matches username or email, case-sensitively as Aviary does. */
  findUserByLogin(login: string): Promise<UserAccount | null>;
  /** Creates the user and seeds nothing else; returns it with its new id. */
  createUser(user: NewUser): Promise<UserAccount>;
  recordLogin(userId: string): Promise<void>;
  /** Keys stored under any of these `key_prefix` values, in one query. */
  findApiKeysByPrefix(...prefixes: string[]): Promise<ApiKeyRecord[]>;
  /** Keys not stored under the first characters of an `aviary_` key (tagged keys, old and new tags). */
  findTaggedApiKeys(): Promise<ApiKeyRecord[]>;
  setApiKeyPrefix(id: string, prefix: string): Promise<void>;
  createApiKey(key: NewApiKey): Promise<ApiKeyRecord>;
  touchApiKey(id: string): Promise<void>;
  recordLoginAttempt(attempt: LoginAttempt): Promise<void>;
  /** A `user_sessions` row, as Aviary's admin panel counts them. */
  createSession(session: NewSession): Promise<void>;
  findSession(id: string): Promise<SessionRecord | null>;
  touchSession(id: string): Promise<void>;
  /** Deletes the session row and remembers the id until `expiresAt`, so no restore can revive it. */
  revokeSession(id: string, expiresAt: Date): Promise<void>;
  /**
   * Sets the user's password hash and ends every other session of the user for good (revoked, as
   * by a logout), keeping `keepSessionId` when given. False when the user does not exist.
   */
  updatePassword(userId: string, passwordHash: string, keepSessionId?: string): Promise<boolean>;
  /** Key/value from system_settings, or null. */
  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string, description?: string): Promise<void>;
  /** The oldest active admin (created_at, then id), or null: the target of the single-user migration. */
  findFirstAdmin(): Promise<UserAccount | null>;
  /** Sets users.rmapi_config only when it is empty (null or blank); true when it was set. */
  setRmapiConfigIfEmpty(userId: string, text: string): Promise<boolean>;
}
