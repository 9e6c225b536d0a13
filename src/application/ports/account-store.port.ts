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

export interface AccountStore {
  countUsers(): Promise<number>;
  findUserById(id: string): Promise<UserAccount | null>;
  /** Matches username or email, case-sensitively as Aviary does. */
  findUserByLogin(login: string): Promise<UserAccount | null>;
  /** Creates the user and seeds nothing else; returns it with its new id. */
  createUser(user: NewUser): Promise<UserAccount>;
  recordLogin(userId: string): Promise<void>;
  findApiKeysByPrefix(prefix: string): Promise<ApiKeyRecord[]>;
  createApiKey(key: NewApiKey): Promise<ApiKeyRecord>;
  touchApiKey(id: string): Promise<void>;
  recordLoginAttempt(attempt: LoginAttempt): Promise<void>;
  /** Failed attempts from this IP since the given time. */
  countFailedAttempts(ipAddress: string, since: Date): Promise<number>;
  /** Key/value from system_settings, or null. */
  getSetting(key: string): Promise<string | null>;
  setSetting(key: string, value: string, description?: string): Promise<void>;
  /** The oldest active admin (created_at, then id), or null: the target of the single-user migration. */
  findFirstAdmin(): Promise<UserAccount | null>;
  /** Replaces a user's bcrypt hash (users.password); false when there is no such user. */
  setPasswordHash(userId: string, passwordHash: string): Promise<boolean>;
  /** Sets users.rmapi_config only when it is empty (null or blank); true when it was set. */
  setRmapiConfigIfEmpty(userId: string, text: string): Promise<boolean>;
}
