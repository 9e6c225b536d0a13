import type { RecordReader, RecordStore } from '../ports/record-store.port';
import type { Clock } from '../ports/system.port';

export interface AdminStatus {
  database: {
    total_users: number;
    active_users: number;
    admin_users: number;
    api_keys: { total: number; active: number; expired: number; recently_used: number };
    documents: number;
    active_sessions: number;
  };
  smtp: { configured: boolean; status: string };
  /** The stored texts, as Aviary sends them (its Settings switch compares with "true"). */
  settings: { registration_enabled: string; max_api_keys_per_user: string; session_timeout_hours: string };
  auth: { oidc_enabled: boolean; proxy_auth_enabled: boolean };
  mode: 'multi_user';
  dry_run: boolean;
}

const RECENT_MS = 7 * 24 * 3600_000;

/** The counts Aviary's admin panel shows (it will not render without this endpoint). */
export class GetAdminStatus {
  constructor(
    private readonly records: RecordStore,
    private readonly clock: Clock,
  ) {}

  execute(): Promise<AdminStatus> {
    return this.records.readSnapshot(async (reader) => {
      const now = this.clock.now().getTime();
      const users = { total: 0, active: 0, admin: 0 };
      for await (const u of reader.stream('users')) {
        users.total++;
        if (u.is_active) users.active++;
        if (u.is_admin) users.admin++;
      }
      const keys = { total: 0, active: 0, expired: 0, recently_used: 0 };
      for await (const k of reader.stream('api_keys')) {
        keys.total++;
        const expired = typeof k.expires_at === 'string' && Date.parse(k.expires_at) <= now;
        if (expired) keys.expired++;
        else if (k.is_active) keys.active++;
        if (typeof k.last_used === 'string' && now - Date.parse(k.last_used) < RECENT_MS) keys.recently_used++;
      }
      let sessions = 0;
      for await (const s of reader.stream('user_sessions')) {
        if (typeof s.expires_at === 'string' && Date.parse(s.expires_at) > now) sessions++;
      }
      const settings = await this.settings(reader);
      const smtpConfigured = settings.smtp_enabled === 'true' && (settings.smtp_host ?? '') !== '';
      return {
        database: {
          total_users: users.total,
          active_users: users.active,
          admin_users: users.admin,
          api_keys: keys,
          documents: await reader.count('documents'),
          active_sessions: sessions,
        },
        smtp: { configured: smtpConfigured, status: smtpConfigured ? 'configured' : 'not_configured' },
        settings: {
          registration_enabled: settings.registration_enabled ?? 'false',
          max_api_keys_per_user: settings.max_api_keys_per_user ?? '10',
          session_timeout_hours: settings.session_timeout_hours ?? '',
        },
        auth: { oidc_enabled: false, proxy_auth_enabled: false },
        mode: 'multi_user',
        dry_run: false,
      };
    });
  }

  private async settings(reader: RecordReader): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for await (const row of reader.stream('system_settings')) out[String(row.key)] = String(row.value ?? '');
    return out;
  }
}
