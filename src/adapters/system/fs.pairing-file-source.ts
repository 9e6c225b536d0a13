import { open } from 'node:fs/promises';
import type { PairingFileSource } from '../../application/ports/pairing-file-source.port';
import { InvalidInputError, UnavailableError } from '../../domain/errors';

/** An rmapi.conf is a few hundred bytes; anything this large is not one. */
const MAX_PAIRING_FILE_BYTES = 1024 * 1024;

/** Reads RMAPI_CONFIG_PATH. Errors carry codes, not the path: they may end up in HTTP responses. */
export class FsPairingFileSource implements PairingFileSource {
  constructor(private readonly path: string) {}

  async read(): Promise<string | null> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw new UnavailableError('pairing_file_unreadable', `The pairing file cannot be opened (${code ?? 'error'})`);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new InvalidInputError('pairing_file_not_a_file', 'RMAPI_CONFIG_PATH does not name a regular file');
      if (info.size > MAX_PAIRING_FILE_BYTES) throw new InvalidInputError('pairing_file_too_large', 'RMAPI_CONFIG_PATH names a file too large to be an rmapi.conf');
      const text = await handle.readFile({ encoding: 'utf8' });
      return text.trim() === '' ? null : text;
    } finally {
      await handle.close();
    }
  }
}
