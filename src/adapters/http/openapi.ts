import { ARCHIVE_CONTENT_TYPE } from '../../domain/archive/archive-format';
import { AVIARY_SCHEMA_VERSION } from '../../domain/schema/aviary-schema';
import { SERVICE_VERSION } from '../../service-version';

/**
 * `GET /api/openapi.json`: every route the service answers (a test compares this list with the
 * Express routers), with its parameters, request body and response schemas. OpenAPI 3.1, so the
 * schemas are JSON Schema 2020-12 (`type: ['string', 'null']` for nullable).
 */

type Schema = Record<string, unknown>;
type Access = 'public' | 'user' | 'admin';

interface Operation {
  readonly summary: string;
  readonly access: Access;
  /** Path parameters are found in the path; this says what they are. */
  readonly pathParam?: string;
  readonly query?: Readonly<Record<string, Schema & { description: string }>>;
  readonly body?: { readonly contentType: string; readonly schema: Schema; readonly required?: boolean };
  /** The success answer: status, and a JSON schema or another media type. */
  readonly ok: { readonly status: number; readonly description: string; readonly schema?: Schema; readonly contentType?: string };
  /** Refusals beyond those every route of its access can give. */
  readonly errors?: readonly number[];
}

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const time: Schema = { type: 'string', format: 'date-time' };
const nullable = (schema: Schema): Schema => ({ ...schema, type: [schema.type, 'null'] });
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({ type: 'object', properties, required });
const list = (items: Schema): Schema => ({ type: 'array', items });
const success = (extra: Record<string, Schema> = {}): Schema => obj({ success: { const: true }, ...extra }, ['success']);
const flagQuery = (description: string, fallback: boolean) => ({ type: 'string', enum: ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], default: String(fallback), description });

const SCHEMAS: Record<string, Schema> = {
  Error: obj({ error: str, error_type: { type: 'string', description: "Aviary's error type, where Aviary names one" }, code: str }, ['error', 'code']),
  BackupJob: obj({
    id: { type: 'string', format: 'uuid' }, admin_user_id: nullable(str), status: { enum: ['pending', 'running', 'completed', 'failed'] },
    progress: int, include_files: bool, include_configs: bool, user_ids: { type: 'string', description: 'comma-separated' },
    file_path: str, filename: str, file_size: int, error_message: str, started_at: nullable(time), completed_at: nullable(time),
    expires_at: nullable(time), created_at: nullable(time), phase: str, bytes_done: int, bytes_total: int, trigger: str,
    tables: list(str), warnings: list(str), verified: bool, verified_at: nullable(time),
  }),
  AnalysisSummary: obj({
    valid: bool, aviary_version: str, export_timestamp: str, user_count: int, api_key_count: int, document_count: int,
    total_size_bytes: int, error_count: int, warning_count: int, analyzed_at: str,
  }),
  RestoreUpload: obj({
    id: { type: 'string', format: 'uuid' }, admin_user_id: nullable(str), filename: str, file_size: int, status: str,
    expires_at: nullable(time), created_at: nullable(time), progress: int, error: nullable(str),
    analysis: { oneOf: [ref('AnalysisSummary'), { type: 'null' }] },
  }),
  Analysis: {
    type: 'object',
    description: 'The full analysis of an archive (docs/restore-and-archives.md)',
    properties: {
      valid: bool, aviary_version: str, export_timestamp: str, user_count: int, api_key_count: int, document_count: int,
      total_size_bytes: int, errors: list(str), warnings: list(str), analyzed_at: str,
    },
    required: ['valid', 'errors', 'warnings'],
  },
  RestoreReport: obj({
    restore_id: str, rows: { type: 'object', additionalProperties: int }, files_restored: int, files_removed: int,
    safety_backup_job_id: nullable(str), warnings: list(str),
  }),
  MigrationReport: {
    type: 'object',
    description: 'Single-user → multi-user run report; an interrupted run knows only some fields',
    properties: {
      target_user_id: str, moved: list(obj({ from: str, to: str, size: int, resumed: bool }, ['from', 'to', 'size'])),
      skipped: list({ type: 'object' }), failed: list({ type: 'object' }), pairing: str, api_key: str, bytes: int,
      warnings: list(str), error: str,
    },
  },
};

const jsonBody = (schema: Schema) => ({ contentType: 'application/json', schema, required: true });
const archiveUpload = {
  contentType: 'multipart/form-data',
  required: true,
  schema: obj({ file: { type: 'string', contentMediaType: ARCHIVE_CONTENT_TYPE, description: 'a .tar.gz or .tgz backup archive' } }),
};

const ROUTES: Record<string, Partial<Record<'get' | 'post' | 'put' | 'delete', Operation>>> = {
  '/': { get: { summary: 'The admin page (HTML)', access: 'public', ok: { status: 200, description: 'The page', contentType: 'text/html' } } },
  '/assets/{name}': {
    get: { summary: 'A file of the admin page', access: 'public', pathParam: 'the file name', ok: { status: 200, description: 'The file', contentType: 'application/octet-stream' }, errors: [404] },
  },
  '/healthz': { get: { summary: 'Liveness', access: 'public', ok: { status: 200, description: 'Running', schema: obj({ status: { const: 'ok' } }) } } },
  '/readyz': {
    get: {
      summary: 'Database and storage reachable', access: 'public', errors: [503],
      ok: { status: 200, description: 'Both reachable (503 with the same body when not)', schema: obj({
        status: { enum: ['ok', 'unavailable'] },
        database: obj({ kind: str, ok: bool, error: str }, ['kind', 'ok']),
        storage: obj({ kind: str, ok: bool, error: str }, ['kind', 'ok']),
      }) },
    },
  },
  '/metrics': {
    get: { summary: 'Prometheus metrics (METRICS_TOKEN bearer, or loopback clients only)', access: 'public', errors: [401, 403],
      ok: { status: 200, description: 'Text exposition format', contentType: 'text/plain' } },
  },
  '/api/version': {
    get: { summary: 'Aviary release implemented, and this service’s version', access: 'public',
      ok: { status: 200, description: 'Versions', schema: obj({ version: str, service: str, service_version: str }) } },
  },
  '/api/openapi.json': { get: { summary: 'This document', access: 'public', ok: { status: 200, description: 'OpenAPI 3.1', schema: { type: 'object' } } } },
  '/api/config': {
    get: { summary: 'Public UI configuration', access: 'public', ok: { status: 200, description: 'As Aviary answers it', schema: obj({
      authEnabled: bool, multiUserMode: bool, proxyAuthEnabled: bool, oidcEnabled: bool, apiKeyEnabled: bool,
      smtpConfigured: bool, oidcSsoOnly: bool, oidcButtonText: str,
    }) } },
  },
  '/api/auth/login': {
    post: { summary: 'Log in; sets the session cookie', access: 'public', errors: [400, 401, 429],
      body: jsonBody(obj({ username: { type: 'string', description: 'username or email' }, password: str })),
      ok: { status: 200, description: 'Logged in', schema: success({ warning: str }) } },
  },
  '/api/auth/logout': { post: { summary: 'Log out (the session ends on the server too)', access: 'public', ok: { status: 200, description: 'Logged out', schema: success() } } },
  '/api/auth/check': {
    get: { summary: 'Who is calling (always 200)', access: 'public', ok: { status: 200, description: 'The caller, if signed in', schema: obj({
      authenticated: bool,
      user: obj({ id: str, username: str, email: str, is_admin: bool, is_active: bool, rmapi_paired: bool, default_rmdir: str, created_at: str }),
    }, ['authenticated']) } },
  },
  '/api/profile/password': {
    put: { summary: 'Change your password; other sessions end', access: 'user', errors: [400],
      body: jsonBody(obj({ current_password: str, new_password: str })), ok: { status: 200, description: 'Changed', schema: success() } },
  },
  '/api/admin/status': {
    get: { summary: 'Counts for the admin panel', access: 'admin', ok: { status: 200, description: 'As Aviary answers it', schema: obj({
      database: obj({ total_users: int, active_users: int, admin_users: int, api_keys: int, documents: int, active_sessions: int }),
      smtp: obj({ configured: bool, status: str }),
      settings: obj({ registration_enabled: str, max_api_keys_per_user: str, session_timeout_hours: str }),
      auth: obj({ oidc_enabled: bool, proxy_auth_enabled: bool }),
      mode: str, dry_run: bool,
    }) } },
  },
  '/api/admin/backup-job': {
    post: { summary: 'Queue a backup', access: 'admin', errors: [400],
      query: {
        include_files: flagQuery('Include documents', true),
        include_configs: flagQuery('Include reMarkable pairing files', true),
        user_ids: { type: 'string', description: 'Comma-separated user ids: back up only these users' },
        tables: { type: 'string', description: 'Comma-separated table names: back up only these tables' },
      },
      ok: { status: 200, description: 'Queued', schema: success({ job_id: str, message: str }) } },
  },
  '/api/admin/backup-jobs': {
    get: { summary: 'Backups, newest first', access: 'admin', ok: { status: 200, description: 'Every job', schema: obj({ jobs: list(ref('BackupJob')) }) } },
  },
  '/api/admin/backup-job/{id}': {
    get: { summary: 'One backup job', access: 'admin', pathParam: 'the job id (UUID)', errors: [400, 404], ok: { status: 200, description: 'The job', schema: ref('BackupJob') } },
    delete: { summary: 'Delete a backup and its file', access: 'admin', pathParam: 'the job id (UUID)', errors: [400, 404, 409],
      ok: { status: 200, description: 'Deleted', schema: success({ message: str }) } },
  },
  '/api/admin/backup-job/{id}/download': {
    get: { summary: 'The archive (streamed; Range requests answer 206)', access: 'admin', pathParam: 'the job id (UUID)', errors: [400, 404, 416],
      ok: { status: 200, description: 'The archive', contentType: ARCHIVE_CONTENT_TYPE } },
  },
  '/api/admin/backup-status': {
    get: { summary: 'Last success, last failure, next scheduled run', access: 'admin',
      ok: { status: 200, description: 'Backup health', schema: { type: 'object' } } },
  },
  '/api/admin/backup/analyze': {
    post: { summary: 'Analyze an uploaded archive without keeping it', access: 'admin', body: archiveUpload, errors: [400, 413],
      ok: { status: 200, description: 'The analysis', schema: obj({ valid: bool, metadata: ref('Analysis') }) } },
  },
  '/api/admin/restore/upload': {
    post: { summary: 'Upload an archive for restore', access: 'admin', body: archiveUpload, errors: [400, 413],
      ok: { status: 200, description: 'Stored', schema: obj({ upload_id: str, filename: str, status: str, file_size: int, expires_at: time, message: str }) } },
  },
  '/api/admin/restore/uploads': {
    get: { summary: 'Your uploads', access: 'admin', ok: { status: 200, description: 'Uploads', schema: obj({ uploads: list(ref('RestoreUpload')) }) } },
  },
  '/api/admin/restore/uploads/{id}/analyze': {
    post: { summary: 'Check an upload completely', access: 'admin', pathParam: 'the upload id (UUID)', errors: [400, 404, 409],
      ok: { status: 200, description: 'The analysis', schema: obj({ valid: bool, metadata: ref('Analysis'), extraction_job_id: str }) } },
  },
  '/api/admin/restore/uploads/{id}/extraction-status': {
    get: { summary: 'Progress of the analysis', access: 'admin', pathParam: 'the upload id (UUID)', errors: [400, 404],
      ok: { status: 200, description: 'Progress', schema: obj({
        job_id: str, status: str, progress: int, message: str, error: nullable(str), started_at: nullable(time), completed_at: nullable(time), job_exists: bool,
      }) } },
  },
  '/api/admin/restore/uploads/{id}': {
    delete: { summary: 'Cancel work on an upload and remove it', access: 'admin', pathParam: 'the upload id (UUID)', errors: [400, 404],
      ok: { status: 200, description: 'Removed', schema: success() } },
  },
  '/api/admin/restore': {
    post: { summary: 'Restore an upload: all or nothing (async answers 202 and a job id to poll)', access: 'admin', errors: [400, 404, 409],
      query: { async: flagQuery('Answer 202 at once and run in the background', false) },
      body: jsonBody(obj({
        upload_id: { type: 'string', format: 'uuid' },
        user_ids: { type: ['array', 'null'], items: str, description: 'Restore only these users (default: everyone)' },
        overwrite_files: { type: ['boolean', 'null'], default: true },
        overwrite_database: { type: ['boolean', 'null'], default: true },
        force: { type: ['boolean', 'null'], default: false },
        safety_backup: { type: ['boolean', 'null'], default: true },
        confirm_no_admin: { type: ['boolean', 'null'], default: false },
        async: { type: ['boolean', 'null'], default: false },
      }, ['upload_id'])),
      ok: { status: 200, description: 'Restored (202 with `job_id` when async)', schema: {
        allOf: [success({ message: str, job_id: str, status: str }), { anyOf: [ref('RestoreReport'), obj({ job_id: str })] }],
      } } },
  },
  '/api/admin/restore/{id}': {
    get: { summary: 'Progress of an asynchronous restore', access: 'admin', pathParam: 'the job id of an async restore', errors: [404],
      ok: { status: 200, description: 'Progress; the report once completed', schema: obj({
        job_id: str, status: { enum: ['running', 'completed', 'failed'] }, phase: str, progress: int,
        error: nullable(str), error_type: nullable(str), code: nullable(str), started_at: time, completed_at: nullable(time),
      }) } },
  },
  '/api/admin/cleanup': {
    post: { summary: 'Remove expired sessions, tokens, uploads and temp work', access: 'admin', ok: { status: 200, description: 'What was removed', schema: success({
      message: str,
      removed: obj({ expired_sessions: int, expired_reset_tokens: int, expired_uploads: int, temp_files: int, old_login_attempts: int }),
      interrupted_analyses: int,
    }) } },
  },
  '/api/admin/migrations/single-to-multi': {
    get: { summary: 'Preview the single-user → multi-user migration', access: 'admin', ok: { status: 200, description: 'What a run would do', schema: obj({
      pending: bool, target_user: { type: ['object', 'null'] },
      documents: obj({ count: int, total_bytes: int, files: list(obj({ path: str, size: int, action: str, reason: str }, ['path', 'size', 'action'])) }),
      pairing: obj({ present: bool, will_apply: bool }), api_key: str, warnings: list(str),
    }) } },
    post: { summary: 'Run the migration', access: 'admin', errors: [409], ok: { status: 200, description: 'The run', schema: {
      allOf: [obj({ run_id: str, status: str, started_at: time, completed_at: time }), ref('MigrationReport')],
    } } },
  },
  '/api/admin/migrations/single-to-multi/runs': {
    get: { summary: 'Past runs and their reports', access: 'admin', ok: { status: 200, description: 'Runs', schema: obj({ runs: list(obj({
      id: str, status: str, admin_user_id: nullable(str), started_at: time, completed_at: nullable(time),
      report: { oneOf: [ref('MigrationReport'), { type: 'null' }] },
    })) }) } },
  },
};

const ERROR_TEXT: Record<number, string> = {
  400: 'Refused input', 401: 'Authentication required', 403: 'Admin privileges required', 404: 'Not found',
  409: 'Another backup, restore or migration is running, or the state does not allow it', 413: 'Larger than the upload limit',
  416: 'Range not satisfiable', 429: 'Too many attempts', 503: 'Not ready',
};
const ACCESS_ERRORS: Record<Access, number[]> = { public: [], user: [401], admin: [401, 403] };
const SECURITY = [{ cookie: [] }, { bearer: [] }, { apiKey: [] }];

function operation(path: string, op: Operation): Schema {
  const parameters = [
    ...[...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, description: op.pathParam ?? name, schema: str })),
    ...Object.entries(op.query ?? {}).map(([name, { description, ...schema }]) => ({ name, in: 'query', required: false, description, schema })),
  ];
  const ok = op.ok.schema
    ? { description: op.ok.description, content: { 'application/json': { schema: op.ok.schema } } }
    : { description: op.ok.description, content: { [op.ok.contentType ?? 'application/octet-stream']: {} } };
  const responses: Record<string, unknown> = { [op.ok.status]: ok };
  for (const status of [...ACCESS_ERRORS[op.access], ...(op.errors ?? [])].sort()) {
    responses[status] = { description: ERROR_TEXT[status] ?? 'Refused', content: { 'application/json': { schema: ref('Error') } } };
  }
  return {
    summary: op.summary,
    ...(op.access === 'public' ? {} : { security: SECURITY }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body ? { requestBody: { required: op.body.required ?? false, content: { [op.body.contentType]: { schema: op.body.schema } } } } : {}),
    responses,
  };
}

/** The routes as `METHOD /path`, sorted (for the test that compares them with the routers). */
export function documentedRoutes(): string[] {
  return Object.entries(ROUTES).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
}

/** `mountPath`: where the host mounted the service ("" at the root), named as the server so clients resolve paths. */
export function openApiDocument(mountPath = '') {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, ops] of Object.entries(ROUTES)) {
    paths[path] = Object.fromEntries(Object.entries(ops).map(([method, op]) => [method, operation(path, op)]));
  }
  return {
    openapi: '3.1.0',
    servers: [{ url: mountPath || '/' }],
    info: { title: 'aviary-backup', version: SERVICE_VERSION, description: `Aviary ${AVIARY_SCHEMA_VERSION} backup, restore and migration API` },
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        cookie: { type: 'apiKey', in: 'cookie', name: 'auth_token' },
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
    paths,
  };
}
