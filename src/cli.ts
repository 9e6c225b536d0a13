import 'reflect-metadata';
import { isConfigError } from './adapters/config/app-config';
import { checkOptions } from './adapters/cli/command';
import { COMMANDS } from './adapters/cli/commands';
import type { OpenCliServices } from './adapters/cli/cli-services';
import { PLUGINS_VARIABLE } from './plugins/loader';

/** `aviary-backup <command> [args]`: one-shot operator commands on the same use cases as the API (bin/aviary-backup.js). */
async function main(argv: string[]): Promise<number> {
  const { rest, plugins } = withoutPluginFlags(argv);
  if (plugins === null) {
    process.stderr.write('aviary-backup: --plugin needs a package name or path\n');
    return 2;
  }
  const [name, ...args] = rest;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command || name === 'help' || name === '--help') {
    process.stdout.write(usage());
    return name && name !== 'help' && name !== '--help' ? 2 : 0;
  }
  const asked = checkOptions(command, args);
  if (asked && 'help' in asked) {
    process.stdout.write(`usage: aviary-backup ${command.usage}\n`);
    return 0;
  }
  if (asked) {
    process.stderr.write(`aviary-backup ${name}: unknown option ${asked.unknown}\nusage: aviary-backup ${command.usage}\n`);
    return 2;
  }
  try {
    const env = plugins.length === 0 ? process.env : { ...process.env, [PLUGINS_VARIABLE]: [process.env[PLUGINS_VARIABLE], ...plugins].filter(Boolean).join(',') };
    return await command.run(args, { stdout: process.stdout, stderr: process.stderr, env, stdin: process.stdin, open: openServices });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`aviary-backup ${name}: ${message}\n`);
    return isConfigError(error) ? 2 : 1;
  }
}

/**
 * The service's composition (database, storage, IoC container and every use case) is loaded only
 * by a command that opens it: `verify` of a file never does, and starts in ~0.17 s instead of ~0.5 s.
 */
const openServices: OpenCliServices = (...args) =>
  (require('./cli-services') as typeof import('./cli-services')).openCliServices(...args);

/**
 * `--plugin X` / `--plugin=X` (repeatable, before or after the command) add to AVIARY_PLUGINS, so the
 * command loads plugins exactly as the server does. `plugins` is null when a flag lacks its value.
 */
function withoutPluginFlags(argv: string[]): { rest: string[]; plugins: string[] | null } {
  const rest: string[] = [];
  const plugins: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--plugin') {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) return { rest, plugins: null };
      plugins.push(value);
    } else if (arg.startsWith('--plugin=')) {
      const value = arg.slice('--plugin='.length);
      if (value === '') return { rest, plugins: null };
      plugins.push(value);
    } else {
      rest.push(arg);
    }
  }
  return { rest, plugins };
}

function usage(): string {
  const lines = COMMANDS.map((c) => `  ${c.usage.padEnd(58)} ${c.summary}`);
  return `Usage: aviary-backup <command>\n\nCommands:\n${lines.join('\n')}\n\nConfiguration comes from the same environment variables as the server (see README).\n--plugin <package or path> (repeatable) loads a plugin, like AVIARY_PLUGINS.\n`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
