import { rm } from 'node:fs/promises';
import { CliCommand, CliIo, parseArgs } from './command';

/**
 * `admin reset-password USER [--password-stdin]`: a new password for a user (username or email), for
 * an operator who lost the initial admin password. Without --password-stdin a random password is
 * printed once on stdout (and nothing else is, so `$(aviary-backup admin reset-password admin)` works).
 */
export const adminCommand: CliCommand = {
  name: 'admin',
  usage: 'admin reset-password USER [--password-stdin]',
  summary: 'set a new password (printed once, or read from stdin)',
  async run(args, io) {
    const { flags, positional } = parseArgs(args);
    const unknown = [...flags.keys()].filter((f) => f !== 'password-stdin');
    if (positional[0] !== 'reset-password' || positional.length !== 2 || unknown.length > 0) {
      io.stderr.write(`usage: aviary-backup ${this.usage}\n`);
      return 2;
    }
    const login = positional[1];
    let password: string | undefined;
    if (flags.has('password-stdin')) {
      if (!io.stdin) {
        io.stderr.write('--password-stdin: no standard input\n');
        return 2;
      }
      password = (await readAll(io.stdin)).replace(/\r?\n$/, '');
    }
    const service = await io.open(io.env);
    try {
      const result = await service.resetPassword.execute({ login, password }).catch((error) => fail(error, io));
      if (typeof result === 'number') return result;
      const firstAdmin = await service.database.accounts.findFirstAdmin();
      if (firstAdmin?.id === result.userId) {
        // The file holds the first admin's initial password, which no longer works: remove the stale copy.
        await rm(service.initialPasswordFile, { force: true });
      }
      io.stderr.write(`Password of "${result.username}" changed.${result.generatedPassword ? ' The new password (shown once):' : ''}\n`);
      if (result.generatedPassword) io.stdout.write(`${result.generatedPassword}\n`);
      return 0;
    } finally {
      await service.close();
    }
  },
};

/** Usage problems exit 2, an unknown user 1; anything else is thrown to main(). */
function fail(error: unknown, io: CliIo): number {
  const { category, message } = (error ?? {}) as { category?: string; message?: string };
  if (category === 'invalid' || category === 'not_found') {
    io.stderr.write(`${message}\n`);
    return category === 'invalid' ? 2 : 1;
  }
  throw error;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  return text;
}
