/**
 * Environment for a service on a given database + storage pair, as an operator would set it.
 * PostgreSQL gets a fresh database, S3 a fresh bucket on the shared s3rver.
 */
import type { Env } from '../../src/plugins/plugin-api';
import { createTestDatabase, pgConnection, requirePostgres } from './postgres';
import { sharedS3Server } from './s3-server';

export type DatabaseKind = 'sqlite' | 'postgres';
export type StorageKind = 'filesystem' | 's3';

export interface BackendSetup {
  readonly env: Env;
  readonly label: string;
  cleanup(): Promise<void>;
}

export async function backendEnv(ctx: Mocha.Context, db: DatabaseKind, storage: StorageKind, bucket?: string): Promise<BackendSetup> {
  const env: Record<string, string> = { DB_TYPE: db, STORAGE_BACKEND: storage };
  const cleanups: (() => Promise<void>)[] = [];
  if (db === 'postgres') {
    await requirePostgres(ctx);
    const database = await createTestDatabase();
    const c = pgConnection();
    Object.assign(env, { DB_HOST: c.host, DB_PORT: String(c.port), DB_USER: c.user, DB_PASSWORD: c.password, DB_NAME: database.name });
    cleanups.push(database.drop);
  }
  if (storage === 's3') {
    const s3 = await sharedS3Server();
    Object.assign(env, {
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_BUCKET: bucket ?? (await s3.createBucket()),
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    });
  }
  return {
    env,
    label: `${db} + ${storage}`,
    async cleanup() {
      for (const c of cleanups) await c().catch(() => undefined);
    },
  };
}
