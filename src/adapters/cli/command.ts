import type { Env } from '../../plugins/plugin-api';
import type { OpenCliServices } from './cli-services';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly env: Env;
  /** For commands that read a secret from a pipe (`--password-stdin`). */
  readonly stdin?: NodeJS.ReadableStream;
  /** Starts the service for commands that need it (provided by the CLI's composition root). */
  readonly open: OpenCliServices;
}

/** One subcommand; resolves with the process exit code (0 success, 1 failure, 2 usage). */
export interface CliCommand {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** `--flag`, `--key value` and `--key=value`; everything else is positional. */
export function parseArgs(args: string[], valued: readonly string[] = []): { flags: Map<string, string | true>; positional: string[] } {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (valued.includes(arg.slice(2)) && i + 1 < args.length) flags.set(arg.slice(2), args[++i]);
    else flags.set(arg.slice(2), true);
  }
  return { flags, positional };
}

/** A comma-separated flag value as a list (`--users a,b`); empty when absent or bare. */
export function listFlag(value: string | true | undefined): string[] {
  return typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/**
 * What a command's arguments ask before it runs: its usage (`--help`, `-h`), or a refusal of an
 * option its usage does not name. A mistyped option is never ignored: `restore --user ID` would
 * otherwise restore every user, `backup create --help` would take a backup.
 */
export function checkOptions(command: Pick<CliCommand, 'usage'>, args: readonly string[]): { help: true } | { unknown: string } | null {
  const known = new Set([...command.usage.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]));
  for (const arg of args) {
    if (arg === '--') break;
    if (arg === '--help' || arg === '-h') return { help: true };
    if (!arg.startsWith('--')) continue;
    const name = arg.slice(2).split('=')[0];
    if (!known.has(name)) return { unknown: `--${name}` };
  }
  return null;
}
