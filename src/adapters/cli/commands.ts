import { adminCommand } from './admin.command';
import { backupCreateCommand } from './backup-create.command';
import type { CliCommand } from './command';
import { migrateSingleUserCommand } from './migrate-single-user.command';
import { restoreCommand } from './restore.command';
import { verifyCommand } from './verify.command';

/** Every subcommand of the `aviary-backup` bin; each lives in its own *.command.ts file. */
export const COMMANDS: readonly CliCommand[] = [backupCreateCommand, verifyCommand, restoreCommand, migrateSingleUserCommand, adminCommand];
