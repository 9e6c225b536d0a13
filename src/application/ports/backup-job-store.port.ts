import type { BackupJob, BackupOptions, BackupPhase, BackupTrigger } from '../../domain/backup-job';

export interface NewBackupJob {
  readonly adminUserId: string | null;
  readonly trigger: BackupTrigger;
  readonly options: BackupOptions;
}

export interface JobProgress {
  readonly phase: BackupPhase;
  readonly progress: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

export interface JobCompletion {
  readonly storageKey: string;
  readonly filename: string;
  readonly fileSize: number;
  readonly warnings: readonly string[];
  readonly expiresAt: Date | null;
  /** When the stored archive was re-read and every checksum matched. */
  readonly verifiedAt: Date | null;
}

/** The backup job queue, shared by every service process using the database. */
export interface BackupJobStore {
  create(job: NewBackupJob): Promise<BackupJob>;
  get(id: string): Promise<BackupJob | null>;
  /** Newest first. */
  list(): Promise<BackupJob[]>;
  /** Whether any job waits to be claimed: one indexed lookup, cheap enough to ask every second. */
  hasPending(): Promise<boolean>;
  /**
   * Atomically moves the oldest pending job to running for this worker; at most one worker ever
   * gets a given job. Null when nothing is pending.
   */
  claimNext(workerId: string): Promise<BackupJob | null>;
  /** Claims one specific pending job (e.g. the one a CLI command just queued); null if gone or taken. */
  claim(id: string, workerId: string): Promise<BackupJob | null>;
  /** Progress and heartbeat; ignored unless the job is still running for this worker. */
  reportProgress(id: string, workerId: string, progress: JobProgress): Promise<boolean>;
  /**
   * Records the finished archive. The filename is unique across all jobs: answers false when
   * another job already took it, so the caller picks the next name.
   */
  complete(id: string, workerId: string, completion: JobCompletion): Promise<boolean>;
  /**
   * Records, before the archive is moved there, the key a running job is about to take, so that a crash
   * between the move and `complete` leaves a row that says which archive to remove. False when the job is
   * no longer this worker's running job.
   */
  recordPlacement(id: string, workerId: string, storageKey: string): Promise<boolean>;
  /** Fails a pending or running job; its storage key is cleared (the caller removes the file). */
  fail(id: string, message: string, warnings?: readonly string[]): Promise<void>;
  /** A completed job whose archive is gone from storage becomes failed with this message. */
  markArchiveMissing(id: string, message: string): Promise<void>;
  /** Running jobs whose heartbeat is older than the given time (their worker died). */
  listStale(heartbeatBefore: Date): Promise<BackupJob[]>;
  delete(id: string): Promise<void>;
}
