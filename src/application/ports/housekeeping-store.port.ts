/**
 * Row removals in Aviary's own tables that the admin cleanup (README, HTTP API `POST /admin/cleanup`) performs,
 * each one statement with a time condition (the RecordStore deletes only by key lists).
 * Every method returns how many rows it changed.
 */
export interface HousekeepingStore {
  /** user_sessions whose expires_at is before `now`. */
  deleteExpiredSessions(now: Date): Promise<number>;
  /** Clears reset_token and reset_token_expires of users whose token expired before `now`. */
  clearExpiredResetTokens(now: Date): Promise<number>;
  /** login_attempts made before `cutoff`. */
  deleteLoginAttemptsBefore(cutoff: Date): Promise<number>;
}
