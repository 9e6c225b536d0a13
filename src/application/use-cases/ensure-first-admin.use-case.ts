import type { AccountStore, UserAccount } from '../ports/account-store.port';
import type { IdGenerator, Logger, PasswordHasher } from '../ports/system.port';

export interface FirstAdminInput {
  readonly username?: string;
  readonly password?: string;
  readonly email?: string;
}

export type FirstAdminResult =
  | { readonly created: false }
  | { readonly created: true; readonly user: UserAccount; readonly generatedPassword?: string };

/**
 * Creates the first admin when the users table is empty (docs/single-to-multi.md): from AUTH_USERNAME and
 * AUTH_PASSWORD, or `admin` with a random password that the caller shows the operator once.
 */
export class EnsureFirstAdmin {
  constructor(
    private readonly accounts: AccountStore,
    private readonly hasher: PasswordHasher,
    private readonly ids: IdGenerator,
    private readonly logger: Logger,
  ) {}

  async execute(input: FirstAdminInput): Promise<FirstAdminResult> {
    if ((await this.accounts.countUsers()) > 0) return { created: false };
    const username = input.username ?? 'admin';
    const generatedPassword = input.password === undefined ? this.ids.secret(18) : undefined;
    const password = input.password ?? generatedPassword!;
    const user = await this.accounts.createUser({
      username,
      email: input.email ?? `${username}@localhost`,
      passwordHash: await this.hasher.hash(password),
      isAdmin: true,
    });
    this.logger.info('created the first admin', { username, user_id: user.id });
    return { created: true, user, generatedPassword };
  }
}
