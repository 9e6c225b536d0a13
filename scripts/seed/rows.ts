import { createHash } from 'node:crypto';
import type { Row } from '../../src/domain/schema/column';
import { ipAddress, prose, USER_AGENTS } from './catalogue';
import type { PlannedDocument, PlannedUser } from './plan';
import { Prng } from './prng';

/** Table rows in archive form (column → JSON value) for the planned users and documents. */

const DAY = 86_400_000;

export interface Hashes {
  readonly password: ReadonlyMap<string, string>;
  readonly apiKey: ReadonlyMap<string, string>;
}

export class RowFactory {
  constructor(
    private readonly seed: string,
    private readonly now: Date,
  ) {}

  private at(offsetDays: number): string {
    return new Date(this.now.getTime() + offsetDays * DAY).toISOString();
  }

  user(u: PlannedUser, hashes: Hashes): Row {
    const rng = new Prng(`${this.seed}:user-row:${u.id}`);
    const createdDays = -rng.int(2, 700);
    const withReset = rng.chance(0.1);
    return {
      id: u.id,
      username: u.username,
      email: u.email,
      password: hashes.password.get(u.id)!,
      is_admin: u.isAdmin,
      is_active: u.isActive,
      rmapi_host: rng.chance(0.2) ? 'https://rmfakecloud.example.org' : '',
      default_rmdir: rng.pick(['/', '/', '/Aviary', '/Inbox']),
      folder_refresh_percent: rng.int(0, 99),
      coverpage_setting: rng.pick(['', 'current', 'first']),
      contrast_setting: rng.pick(['none', 'none', 'low', 'high']),
      conflict_resolution: rng.pick(['abort', 'overwrite', 'content_only']),
      folder_depth_limit: rng.int(0, 5),
      folder_exclusion_list: rng.chance(0.3) ? 'Trash,Archive/Old stuff' : '',
      page_resolution: rng.pick(['', '1404x1872', '1620x2160']),
      page_dpi: rng.pick([0, 226, 229]),
      conversion_output_format: rng.pick(['epub', 'pdf']),
      rmapi_config: u.paired ? rmapiConfig(rng) : '',
      pdf_background_removal: rng.pick([null, true, false]),
      experimental_download_link: rng.pick([null, true]),
      reset_token: withReset ? rng.hex(32) : '',
      reset_token_expires: withReset ? this.at(rng.int(-2, 2) + 0.5) : null,
      oidc_subject: u.oidcSubject,
      created_at: this.at(createdDays),
      updated_at: this.at(createdDays / 2),
      last_login: rng.chance(0.8) ? this.at(-rng.next() * 30) : null,
    };
  }

  apiKeys(u: PlannedUser, hashes: Hashes): Row[] {
    const rng = new Prng(`${this.seed}:key-rows:${u.id}`);
    return u.apiKeys.map((k) => ({
      id: k.id,
      user_id: u.id,
      name: k.name,
      key_hash: hashes.apiKey.get(k.id)!,
      key_prefix: k.key.slice(0, 16),
      is_active: k.active,
      last_used: rng.chance(0.6) ? this.at(-rng.next() * 20) : null,
      expires_at: k.expiresInDays === null ? null : this.at(k.expiresInDays),
      created_at: this.at(-rng.int(30, 400)),
    }));
  }

  sessions(u: PlannedUser): Row[] {
    const rng = new Prng(`${this.seed}:sessions:${u.id}`);
    return Array.from({ length: rng.int(0, 3) }, () => {
      const created = -rng.next() * 40;
      return {
        id: rng.uuid(),
        user_id: u.id,
        token_hash: createHash('sha256').update(rng.hex(32)).digest('hex'),
        expires_at: this.at(created + 30),
        created_at: this.at(created),
        last_used: this.at(created / 3),
        user_agent: rng.pick(USER_AGENTS),
        ip_address: ipAddress(rng),
      };
    });
  }

  /** Aviary caches the reMarkable folder list as a JSON array of paths under folder_path "/". */
  folderCaches(u: PlannedUser): Row[] {
    if (!u.paired) return [];
    const rng = new Prng(`${this.seed}:folders:${u.id}`);
    const remote = u.folders.filter((f) => f !== '').map((f) => `/${f}`);
    const rows: Row[] = [{ id: rng.uuid(), user_id: u.id, folder_path: '/', folder_data: JSON.stringify(remote), last_updated: this.at(-rng.next() * 2) }];
    if (remote.length > 1 && rng.chance(0.5)) {
      const parent = remote[remote.length - 1];
      rows.push({
        id: rng.uuid(),
        user_id: u.id,
        folder_path: parent,
        folder_data: JSON.stringify(remote.filter((f) => f.startsWith(parent + '/'))),
        last_updated: this.at(-rng.next() * 5),
      });
    }
    return rows;
  }

  document(d: PlannedDocument, index: number): Row {
    const rng = new Prng(`${this.seed}:document-row:${index}`);
    const slash = d.relativePath.lastIndexOf('/');
    return {
      id: rng.uuid(),
      user_id: d.userId,
      document_name: d.relativePath.slice(slash + 1),
      local_path: d.relativePath,
      remote_path: `/${slash < 0 ? '' : d.relativePath.slice(0, slash)}`,
      document_type: d.documentType,
      file_size: d.size,
      status: 'uploaded',
      upload_date: this.at(-rng.next() * 365),
    };
  }

  /** Successes of real users, failures of typos and guessed names, all at least an hour ago. */
  loginAttempts(users: readonly PlannedUser[], count: number): Row[] {
    const rng = new Prng(`${this.seed}:login-attempts`);
    return Array.from({ length: count }, () => {
      const known = users.length > 0 && rng.chance(0.8);
      const name = known ? rng.pick(users).username : rng.pick(['admin', 'root', 'test', 'administrator', 'guest']);
      return {
        id: rng.uuid(),
        ip_address: ipAddress(rng),
        username: name,
        success: known && rng.chance(0.75),
        attempted_at: this.at(-(1 / 24) - rng.next() * 60),
        user_agent: rng.pick(USER_AGENTS),
      };
    });
  }
}

/** An rmapi.conf as rmapi writes it, with fake (well-formed, unsigned) device and user tokens. */
function rmapiConfig(rng: Prng): string {
  const jwt = (claims: object) =>
    `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.${Buffer.from(rng.hex(32), 'hex').toString('base64url')}`;
  const device = jwt({ 'device-desc': 'desktop-linux', 'device-id': rng.uuid(), iss: 'rM WebApp', sub: 'rM Device Token' });
  const user = jwt({ 'auth0-userid': `auth0|${rng.hex(12)}`, scopes: 'sync:tortoise', note: prose(rng, 20).trim() });
  return `devicetoken: ${device}\nusertoken: ${user}\n`;
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
