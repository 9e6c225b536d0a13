import { z } from 'zod';
import { InvalidInputError } from '../../domain/errors';
import { FLAG_WORDS, parseFlag } from '../../domain/flag';
import { isUuid } from '../../domain/schema/values';

/**
 * HTTP input (body, query, path) read through zod schemas, the library the configuration uses.
 * A refused value becomes an `InvalidInputError` whose code is the one named for its field (else
 * `invalid_request`), so the error body keeps the shape and codes clients already know.
 */
export function parseInput<S extends z.ZodTypeAny>(schema: S, value: unknown, codes: Readonly<Record<string, string>> = {}): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = String(issue.path[0] ?? '');
  const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new InvalidInputError(codes[field] ?? 'invalid_request', `${where}${issue.message}`);
}

/** A switch in a query string (see parseFlag); absent or blank takes the default. */
export const queryFlag = (fallback: boolean) =>
  z.unknown().transform((value, ctx) => {
    if (value === undefined || value === '') return fallback;
    const parsed = typeof value === 'string' ? parseFlag(value) : undefined;
    if (parsed !== undefined) return parsed;
    ctx.addIssue({ code: 'custom', message: `expected ${FLAG_WORDS}, got ${JSON.stringify(value)}` });
    return z.NEVER;
  });

/** A switch in a JSON body: a JSON boolean; absent or null takes the default. */
export const bodyFlag = (fallback: boolean) =>
  z.boolean({ invalid_type_error: 'must be true or false' }).nullish().transform((v) => v ?? fallback);

/** A comma-separated query list (`a,b`), blanks dropped; absent is empty. */
export const queryList = z
  .union([z.string(), z.undefined()], { invalid_type_error: 'must be a comma-separated list, given once' })
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean));

export const uuid = (message: string) => z.string({ invalid_type_error: message, required_error: message }).refine(isUuid, message);

/** `:id` of a path. */
export const idParams = (message: string) => z.object({ id: uuid(message).transform((id) => id.toLowerCase()) });

/** `POST /api/admin/backup-job` query. */
export const backupJobQuery = z.object({
  user_ids: queryList.refine((ids) => ids.every(isUuid), (ids) => ({ message: `Not user ids: ${ids.filter((id) => !isUuid(id)).join(', ')}` })),
  tables: queryList,
  include_files: queryFlag(true),
  include_configs: queryFlag(true),
});

/** `POST /api/admin/restore` body (and `?async=`). */
export const restoreBody = z.object({
  upload_id: uuid('upload_id must be an upload id'),
  user_ids: z.array(z.string(), { invalid_type_error: 'user_ids must be a list of user ids' }).nullish().transform((v) => v ?? []),
  overwrite_files: bodyFlag(true),
  overwrite_database: bodyFlag(true),
  force: bodyFlag(false),
  safety_backup: bodyFlag(true),
  confirm_no_admin: bodyFlag(false),
  async: bodyFlag(false),
});
export const RESTORE_BODY_CODES = { upload_id: 'invalid_upload_id', user_ids: 'invalid_user_ids' } as const;
export const restoreQuery = z.object({ async: queryFlag(false) });

/** `POST /api/auth/login` body. */
export const loginBody = z.object({ username: z.string(), password: z.string() });

/** `PUT /api/profile/password` body. */
const SEND_PASSWORDS = 'Send {"current_password": "…", "new_password": "…"}';
const password = z.string({ required_error: SEND_PASSWORDS, invalid_type_error: SEND_PASSWORDS });
export const passwordChangeBody = z.object(
  { current_password: password, new_password: password },
  { invalid_type_error: SEND_PASSWORDS },
);
