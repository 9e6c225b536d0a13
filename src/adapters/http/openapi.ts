import { AVIARY_SCHEMA_VERSION } from '../../domain/schema/aviary-schema';
import { SERVICE_VERSION } from '../../service-version';

type Route = [method: string, path: string, summary: string, admin?: boolean];

/** Every route this service answers, for `GET /api/openapi.json` (paths and summaries; bodies are in the README). */
const ROUTES: Route[] = [
  ['get', '/healthz', 'Liveness'],
  ['get', '/readyz', 'Database and storage reachable'],
  ['get', '/metrics', 'Prometheus metrics (METRICS_TOKEN bearer, or loopback clients only)'],
  ['get', '/api/version', 'Aviary release implemented, and this service’s version'],
  ['get', '/api/config', 'Public UI configuration'],
  ['post', '/api/auth/login', 'Log in; sets the auth_token cookie'],
  ['post', '/api/auth/logout', 'Log out'],
  ['get', '/api/auth/check', 'Who is calling'],
  ['put', '/api/profile/password', 'Change your password ({current_password, new_password}); other sessions end'],
  ['get', '/api/admin/status', 'Counts for the admin panel', true],
  ['post', '/api/admin/backup-job', 'Queue a backup (include_files, include_configs, user_ids, tables)', true],
  ['get', '/api/admin/backup-jobs', 'Backups, newest first', true],
  ['get', '/api/admin/backup-job/{id}', 'One backup job', true],
  ['get', '/api/admin/backup-job/{id}/download', 'The archive (streamed, Range supported)', true],
  ['delete', '/api/admin/backup-job/{id}', 'Delete a backup and its file', true],
  ['get', '/api/admin/backup-status', 'Last success, last failure, next scheduled run', true],
  ['post', '/api/admin/backup/analyze', 'Analyze an uploaded archive without keeping it', true],
  ['post', '/api/admin/restore/upload', 'Upload an archive for restore', true],
  ['get', '/api/admin/restore/uploads', 'Your uploads', true],
  ['post', '/api/admin/restore/uploads/{id}/analyze', 'Check an upload completely', true],
  ['get', '/api/admin/restore/uploads/{id}/extraction-status', 'Progress of the analysis', true],
  ['delete', '/api/admin/restore/uploads/{id}', 'Cancel work on an upload and remove it', true],
  ['post', '/api/admin/restore', 'Restore an upload (all or nothing; async=true answers 202)', true],
  ['get', '/api/admin/restore/{id}', 'Progress of an asynchronous restore', true],
  ['post', '/api/admin/cleanup', 'Remove expired sessions, tokens, uploads and temp work', true],
  ['get', '/api/admin/migrations/single-to-multi', 'Preview the single-user → multi-user migration', true],
  ['post', '/api/admin/migrations/single-to-multi', 'Run it', true],
  ['get', '/api/admin/migrations/single-to-multi/runs', 'Past runs and their reports', true],
];

/** `mountPath`: where the host mounted the service ("" at the root), named as the server so clients resolve paths. */
export function openApiDocument(mountPath = '') {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [method, path, summary, admin] of ROUTES) {
    paths[path] ??= {};
    paths[path][method] = {
      summary,
      ...(admin ? { security: [{ cookie: [] }, { bearer: [] }, { apiKey: [] }] } : {}),
      responses: admin
        ? { 200: { description: 'OK' }, 401: { description: 'Authentication required' }, 403: { description: 'Admin privileges required' } }
        : { 200: { description: 'OK' } },
    };
  }
  return {
    openapi: '3.1.0',
    servers: [{ url: mountPath || '/' }],
    info: { title: 'aviary-backup', version: SERVICE_VERSION, description: `Aviary ${AVIARY_SCHEMA_VERSION} backup, restore and migration API` },
    components: {
      securitySchemes: {
        cookie: { type: 'apiKey', in: 'cookie', name: 'auth_token' },
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
    paths,
  };
}
