import { backupCreateCommand } from './backup-create.command';
import type { CliCommand } from './command';

/** Every subcommand of the `aviary-backup` bin; each lives in its own *.command.ts file. */
export const COMMANDS: readonly CliCommand[] = [backupCreateCommand];
