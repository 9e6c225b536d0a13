/**
 * What a restore replaces (docs/restore-and-archives.md), decided here and only here; the analysis and the restore
 * both ask this module. The rule: only what the archive positively carries is replaced.
 * - The users table is replaced only by a users table holding rows. An absent, `null` or empty
 *   users table (Aviary writes `null` for an empty table; a table-selective backup has none)
 *   keeps every current user.
 * - A user's document folder is replaced only when the archive carries that user (its users
 *   table row, or — without a users table — its documents), and removed only when a full restore
 *   replaces the users table with one that no longer holds that user.
 * - A restore that leaves no active admin needs an explicit confirmation.
 */

export interface AdminFacts {
  readonly username: string;
  readonly active: boolean;
}

/** Users on one side of the restore: every id, and the admins (few) with what the checks need. */
export interface UserSet {
  readonly ids: ReadonlySet<string>;
  readonly admins: ReadonlyMap<string, AdminFacts>;
}

export interface ScopeRequest {
  readonly overwriteDatabase: boolean;
  readonly overwriteFiles: boolean;
  /** Lower-case ids; null restores everyone in the archive. */
  readonly selected: ReadonlySet<string> | null;
}

export interface ArchiveScopeFacts {
  /** The users table's rows (only its size matters for "positively carries"). */
  readonly users: UserSet;
  /** The archive holds document files (a backup made without files never wipes any). */
  readonly hasFiles: boolean;
}

export type FolderAction = 'replace' | 'remove' | 'keep';

export class RestoreScope {
  /** The archive's users table replaces the current one (full restore, users table with rows). */
  readonly replacesUsersTable: boolean;
  /** Users that exist once the restore is done. */
  readonly finalUsers: ReadonlySet<string>;
  private readonly finalAdmins: ReadonlyMap<string, AdminFacts>;

  constructor(
    readonly request: ScopeRequest,
    private readonly archive: ArchiveScopeFacts,
    private readonly current: UserSet,
  ) {
    const carriesUsers = archive.users.ids.size > 0;
    const { selected } = request;
    this.replacesUsersTable = request.overwriteDatabase && carriesUsers && !selected;
    if (this.replacesUsersTable) {
      this.finalUsers = archive.users.ids;
      this.finalAdmins = archive.users.admins;
    } else if (request.overwriteDatabase && carriesUsers && selected) {
      this.finalUsers = new Set([...current.ids, ...[...selected].filter((id) => archive.users.ids.has(id))]);
      const admins = new Map([...current.admins].filter(([id]) => !selected.has(id)));
      for (const [id, facts] of archive.users.admins) if (selected.has(id)) admins.set(id, facts);
      this.finalAdmins = admins;
    } else {
      this.finalUsers = current.ids;
      this.finalAdmins = current.admins;
    }
  }

  /** Whether a user's rows in a per-user table are taken from the archive. */
  wantsUser(userId: string): boolean {
    return !this.request.selected || this.request.selected.has(userId);
  }

  /**
   * Whether a document of this user is restored. Its owner must exist after the restore, and the
   * archive must carry the user: through its users table when it has one, else through the document.
   */
  acceptsDocument(userId: string): boolean {
    if (!this.request.overwriteFiles || !this.wantsUser(userId) || !this.finalUsers.has(userId)) return false;
    return this.archive.users.ids.size > 0 ? this.archive.users.ids.has(userId) : true;
  }

  /** Why a document is skipped, for the warning; undefined when it is restored. */
  skipReason(userId: string): string | undefined {
    if (this.acceptsDocument(userId) || !this.request.overwriteFiles || !this.wantsUser(userId)) return undefined;
    if (this.archive.users.ids.size > 0 && !this.archive.users.ids.has(userId)) return `user ${userId} is not in database/users.json`;
    return `user ${userId} does not exist here and the restore does not create it`;
  }

  /**
   * What happens to a current document folder. `documentOwners`: users whose documents the
   * archive holds (all that counts when the archive has no users table).
   */
  folderAction(userId: string, documentOwners: ReadonlySet<string>): FolderAction {
    if (!this.request.overwriteFiles || !this.archive.hasFiles) return 'keep';
    if (this.replacesUsersTable && !this.finalUsers.has(userId)) return 'remove';
    if (!this.wantsUser(userId) || !this.finalUsers.has(userId)) return 'keep';
    const carried = this.archive.users.ids.size > 0 ? this.archive.users.ids.has(userId) : documentOwners.has(userId);
    return carried ? 'replace' : 'keep';
  }

  /** No active admin afterwards, where there was one before (the restore is what takes it away). */
  get leavesNoAdmin(): boolean {
    const active = (m: ReadonlyMap<string, AdminFacts>) => [...m.values()].some((a) => a.active);
    return !active(this.finalAdmins) && active(this.current.admins);
  }

  /** Admins who stop being active admins, and users who become one. */
  adminChanges(): { removed: [string, AdminFacts][]; added: [string, AdminFacts][] } {
    const activeIn = (m: ReadonlyMap<string, AdminFacts>) => new Map([...m].filter(([, a]) => a.active));
    const before = activeIn(this.current.admins);
    const after = activeIn(this.finalAdmins);
    return {
      removed: [...before].filter(([id]) => !after.has(id)),
      added: [...after].filter(([id]) => !before.has(id)),
    };
  }

  /** What an operator must read before confirming, one line each. */
  warnings(documentOwners: ReadonlySet<string>): string[] {
    const out: string[] = [];
    const { removed, added } = this.adminChanges();
    for (const [id, a] of removed) out.push(`Admin ${a.username} (${id}) would no longer be an active admin after this restore`);
    // Into an empty database every admin is new: that is the point, not news.
    if (this.current.ids.size > 0) for (const [id, a] of added) out.push(`User ${a.username} (${id}) becomes an active admin with this restore`);
    if (this.leavesNoAdmin) {
      out.push('The restore would leave no active admin (nobody could use the admin API); it is refused unless confirmed with confirm_no_admin');
    }
    for (const id of this.current.ids) {
      if (this.folderAction(id, documentOwners) === 'remove') out.push(`User ${id} is not in the archive: the restore deletes the account and its documents would be removed`);
    }
    return out;
  }
}

/** Collects a users table's ids and admins as rows stream by. */
/** Users of an archive listed by name (for choosing whom to restore); beyond this only ids are kept. */
export const NAMED_USERS_LIMIT = 10_000;

export class UserSetBuilder implements UserSet {
  readonly ids = new Set<string>();
  readonly admins = new Map<string, AdminFacts>();
  /** id → username, in archive order, for the first NAMED_USERS_LIMIT users. */
  readonly names = new Map<string, string>();

  add(row: { id?: unknown; username?: unknown; is_admin?: unknown; is_active?: unknown }): void {
    if (typeof row.id !== 'string') return;
    const id = row.id.toLowerCase();
    this.ids.add(id);
    if (this.names.size < NAMED_USERS_LIMIT) this.names.set(id, String(row.username ?? ''));
    if (row.is_admin === true) this.admins.set(id, { username: String(row.username ?? ''), active: row.is_active !== false });
  }
}

/** A backup made without files (metadata `include_files: false`, or no document at all) never wipes files. */
export function archiveCarriesFiles(includeFiles: unknown, totalDocuments: unknown, documentsSeen: number): boolean {
  return includeFiles !== false && (documentsSeen > 0 || Number(totalDocuments ?? 0) > 0);
}

/** A full restore of both database and files: what analysis describes unless told otherwise. */
export const FULL_RESTORE: ScopeRequest = { overwriteDatabase: true, overwriteFiles: true, selected: null };
