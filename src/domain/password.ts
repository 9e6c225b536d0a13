/** Aviary's minimum length for a new password (its API refuses shorter ones). */
export const MIN_PASSWORD_LENGTH = 8;
