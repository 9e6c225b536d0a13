import { z } from 'zod';
import { FLAG_WORDS, parseFlag } from '../../domain/flag';
import { type AviaryPlugin, type Env, PLUGIN_API_VERSION } from '../plugin-api';

// The S3 client (minio and its XML parsers) is loaded only when S3 storage is configured.
const minio = () => require('../../adapters/storage/minio.blob-store') as typeof import('../../adapters/storage/minio.blob-store');

/** A switch (see parseFlag; blank is off). Booleans pass through (embedding apps). */
const flag = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  return value.trim() === '' ? false : (parseFlag(value) ?? value);
}, z.boolean({ invalid_type_error: `must be ${FLAG_WORDS}` }));

/** Whole numbers from env strings or numbers. */
const integer = z.preprocess((value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
  z.number({ invalid_type_error: 'must be a whole number' }).int('must be a whole number'));

const required = (what: string) => z.string({ required_error: `is required (${what})` }).min(1, `is required (${what})`);

// The rules the minio client enforces on every call, checked once at start instead.
const bucketName = required('the bucket name').refine(
  (b) => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b) && !b.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(b),
  'must be a valid S3 bucket name (3-63 lowercase letters, digits, "." and "-")',
);

const optionsSchema = z.object({
  endpoint: z.string().url('must be a URL like http://127.0.0.1:9000')
    .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must start with http:// or https://').optional(),
  region: z.string().min(1).default('us-east-1'),
  bucket: bucketName,
  accessKeyId: required('the access key id'),
  secretAccessKey: required('the secret access key'),
  forcePathStyle: flag.default(false),
  partSizeMb: integer.pipe(z.number().min(5, 'must be at least 5 (S3 minimum part size)').max(1024, 'must be at most 1024')).default(16),
});

export type S3StorageOptions = z.infer<typeof optionsSchema>;

const envNames = {
  endpoint: 'S3_ENDPOINT',
  region: 'S3_REGION',
  bucket: 'S3_BUCKET',
  accessKeyId: 'S3_ACCESS_KEY_ID',
  secretAccessKey: 'S3_SECRET_ACCESS_KEY',
  forcePathStyle: 'S3_FORCE_PATH_STYLE',
  partSizeMb: 'S3_PART_SIZE_MB',
} as const;

/** Blank variables count as unset, as operators write `S3_ENDPOINT=` to mean "default". */
function fromEnv(env: Env): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [option, variable] of Object.entries(envNames)) {
    const value = env[variable];
    if (value !== undefined && value.trim() !== '') raw[option] = value.trim();
  }
  return raw;
}

/** STORAGE_BACKEND=s3: AWS S3 or any S3-compatible server (MinIO, …) through the minio client. */
export const s3Plugin: AviaryPlugin = {
  name: 'builtin-s3',
  apiVersion: PLUGIN_API_VERSION,
  register(api) {
    api.registerStorage<S3StorageOptions>('s3', {
      description: 'S3-compatible object storage',
      optionsSchema,
      envNames,
      optionsFromEnv: (env) => fromEnv(env),
      create: async ({ partSizeMb, ...options }) => new (minio().MinioBlobStore)({ ...options, partSize: partSizeMb * 1024 * 1024 }),
    });
  },
};
