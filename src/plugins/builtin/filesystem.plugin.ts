import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { FilesystemBlobStore } from '../../adapters/storage/filesystem.blob-store';
import { type AviaryPlugin, PLUGIN_API_VERSION } from '../plugin-api';

const optionsSchema = z.object({
  root: z.string({ required_error: 'is required' }).refine(isAbsolute, 'must be an absolute path'),
});

export type FilesystemStorageOptions = z.infer<typeof optionsSchema>;

/** STORAGE_BACKEND=filesystem: objects are files under DATA_DIR (key K at `${DATA_DIR}/K`, docs/archive-format.md). */
export const filesystemPlugin: AviaryPlugin = {
  name: 'builtin-filesystem',
  apiVersion: PLUGIN_API_VERSION,
  register(api) {
    api.registerStorage<FilesystemStorageOptions>('filesystem', {
      description: 'Local files under DATA_DIR',
      optionsSchema,
      envNames: { root: 'DATA_DIR' },
      optionsFromEnv: (_env, dataDir) => ({ root: dataDir }),
      create: async (options) => {
        const store = new FilesystemBlobStore(options);
        await store.sweepAbandonedTemp();
        return store;
      },
    });
  },
};
