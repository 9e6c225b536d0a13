/**
 * What analyze answers (README, HTTP API): Aviary's BackupAnalysis fields first, unchanged in name and
 * meaning, then ours. `valid` is true only when the whole archive was read and nothing was wrong.
 */
export type VersionComparison = 'same' | 'older' | 'newer' | 'unknown';

export interface BackupAnalysis {
  valid: boolean;
  aviary_version: string;
  git_commit: string;
  /** As Aviary's analyzer formats it: `2006-01-02 15:04:05 UTC`. */
  export_timestamp: string;
  database_type: string;
  user_count: number;
  api_key_count: number;
  /** Document files a restore would write (under a directory of a user in users.json). */
  document_count: number;
  total_size_bytes: number;
  exported_tables: string[];
  users_exported: string[];
  /** The users of database/users.json by name (at most 10,000), so a person can choose whom to restore. */
  archive_users: { id: string; username: string; is_admin: boolean }[];
  errors: string[];
  warnings: string[];

  /** Rows per table file found (absent tables are left out). */
  tables: Record<string, number>;
  checksums: { present: boolean; verified: number; mismatches: string[] };
  version: { archive: string; service: string; comparison: VersionComparison; requires_force: boolean };
  /** Per table: rows now in the database (null when it could not be counted) and rows in the archive. */
  restore_would_replace: Record<string, { current: number | null; archive: number }>;
  /**
   * What the restore described (a full one unless the caller said otherwise) does to users and
   * files; null when the current database is unknown or the archive could not be read.
   */
  restore_plan: RestorePlanSummary | null;
  /** Users with a legacy `filesystem/configs/{userId}/rmapi.conf` that restore will use. */
  legacy_configs_used: string[];
  entries: number;
  compressed_bytes: number;
  uncompressed_bytes: number;
  analyzed_at: string;
}

export interface RestorePlanSummary {
  /** The archive's users table replaces the current one. */
  replaces_users: boolean;
  /** Refused unless confirmed (`confirm_no_admin`). */
  leaves_no_admin: boolean;
  admins_removed: { id: string; username: string }[];
  admins_added: { id: string; username: string }[];
  users_whose_files_are_removed: string[];
}

export interface ValidateProgress {
  readonly compressedBytes: number;
  readonly uncompressedBytes: number;
  /** The archive's size when the caller knows it. */
  readonly totalBytes?: number;
  /** 0–100 from compressed bytes, when totalBytes is known. */
  readonly percent?: number;
}
