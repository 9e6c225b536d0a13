import type { AccountStore } from './account-store.port';
import type { RecordStore } from './record-store.port';

/** Everything the service keeps in its database, as provided by a database plugin. */
export interface DatabaseBackend {
  readonly kind: string;
  readonly records: RecordStore;
  readonly accounts: AccountStore;
  /** Creates or migrates the schema forward and seeds missing system settings. Idempotent. */
  migrate(): Promise<{ applied: string[] }>;
  /** Throws UnavailableError when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
