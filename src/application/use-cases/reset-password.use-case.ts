import { MIN_PASSWORD_LENGTH } from '../../domain/password';
import { InvalidInputError, NotFoundError } from '../../domain/errors';
import type { AccountStore } from '../ports/account-store.port';
import type { IdGenerator, Logger, PasswordHasher } from '../ports/system.port';

export interface ResetPasswordInput {
  /** Username or email, matched as at login. */
  readonly login: string;
  /** The new password; a random one is generated (and returned once) when absent. */
  readonly password?: string;
}

export interface ResetPasswordResult {
  readonly userId: string;
  readonly username: string;
  readonly generatedPassword?: string;
}

/**
 * Sets a new password for an account from the host's shell, for an operator who lost the initial
 * admin password: the only recovery that needs no working login. Hashed with bcrypt as everywhere.
 */
export class ResetPassword {
  constructor(
    private readonly accounts: AccountStore,
    private readonly hasher: PasswordHasher,
    private readonly ids: IdGenerator,
    private readonly logger: Logger,
  ) {}

  async execute(input: ResetPasswordInput): Promise<ResetPasswordResult> {
    if (input.password !== undefined && input.password.length < MIN_PASSWORD_LENGTH) {
      throw new InvalidInputError('password_too_short', `The new password must be at least ${MIN_PASSWORD_LENGTH} characters long`);
    }
    const user = await this.accounts.findUserByLogin(input.login);
    if (!user) throw new NotFoundError('user_not_found', `No user with username or email ${JSON.stringify(input.login)}`);
    const generatedPassword = input.password === undefined ? this.ids.secret(18) : undefined;
    const hash = await this.hasher.hash(input.password ?? generatedPassword!);
    // Every session of the user ends: whoever had the lost password is signed out too.
    if (!(await this.accounts.updatePassword(user.id, hash))) {
      throw new NotFoundError('user_not_found', `User ${JSON.stringify(input.login)} was removed meanwhile`);
    }
    this.logger.info('password reset from the command line', { username: user.username, user_id: user.id });
    return { userId: user.id, username: user.username, generatedPassword };
  }
}
