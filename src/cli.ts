import 'reflect-metadata';
import { ConfigError } from './adapters/config/app-config';
import { COMMANDS } from './adapters/cli/commands';
import { openCliServices } from './cli-services';

/** `aviary-backup <command> [args]`: one-shot operator commands on the same use cases as the API (bin/aviary-backup.js). */
async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command || name === 'help' || name === '--help') {
    process.stdout.write(usage());
    return name && name !== 'help' && name !== '--help' ? 2 : 0;
  }
  try {
    return await command.run(args, { stdout: process.stdout, stderr: process.stderr, env: process.env, stdin: process.stdin, open: openCliServices });
  } catch (error) {
    const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
    process.stderr.write(`aviary-backup ${name}: ${message}\n`);
    return error instanceof ConfigError ? 2 : 1;
  }
}

function usage(): string {
  const lines = COMMANDS.map((c) => `  ${c.usage.padEnd(58)} ${c.summary}`);
  return `Usage: aviary-backup <command>\n\nCommands:\n${lines.join('\n')}\n\nConfiguration comes from the same environment variables as the server (see README).\n`;
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
