import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { parseCron } from '../../domain/cron';
import { parseByteSize } from '../../domain/byte-size';
import { FLAG_WORDS, parseFlag } from '../../domain/flag';
import type { Env } from '../../plugins/plugin-api';

/** A configured backend kind checked against the plugin that registered it, or the problems found. */
export type BackendResolution =
  | { readonly ok: true; readonly backend: { readonly kind: string; readonly options: unknown } }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * What configuration needs of the registered backend kinds. The plugin registry provides it; config only
 * reads it, so this adapter does not depend on how plugins are loaded.
 */
export interface BackendCatalog {
  databaseKinds(): string[];
  storageKinds(): string[];
  envNamesOf(role: 'database' | 'storage', kind: string): string[];
  resolveDatabase(kind: string, env: Env, dataDir: string, explicit?: unknown): BackendResolution;
  resolveStorage(kind: string, env: Env, dataDir: string, explicit?: unknown): BackendResolution;
}

/** Validated configuration of one service instance (README, Configuration). */
export interface AppConfig {
  readonly port: number;
  readonly dataDir: string;
  readonly multiUser: boolean;
  readonly allowInsecureCookies: boolean;
  readonly database: { readonly kind: string; readonly options: unknown };
  readonly storage: { readonly kind: string; readonly options: unknown };
  readonly auth: {
    readonly username?: string;
    readonly password?: string;
    readonly adminEmail?: string;
    readonly apiKey?: string;
    readonly jwtSecret?: string;
    readonly sessionHours: number;
    /** Failed logins per client IP per window (LOGIN_MAX_FAILURES). */
    readonly maxFailedLogins: number;
    /** Failed logins per account per window, from any IP; also failed attempts on one stored API key. */
    readonly maxFailedLoginsPerAccount: number;
    /** Failed API-key attempts per client IP per window. */
    readonly maxFailedApiKeys: number;
    readonly failedLoginWindowMinutes: number;
  };
  readonly rmapiConfigPath: string;
  readonly pdfDir: string;
  readonly maxRestoreUploadBytes: number;
  /** Restore uploads (and their files) are removed this long after they arrive. */
  readonly uploadRetentionHours: number;
  readonly backup: {
    readonly schedule?: string;
    readonly retentionCount: number;
    readonly retentionDays?: number;
  };
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** Serve the admin web page at the service's root. */
  readonly uiEnabled: boolean;
  /** Bearer token for GET /metrics; without one, /metrics answers loopback clients only. */
  readonly metricsToken?: string;
  /** Things worth telling the operator at start that do not stop it (e.g. variables set but unused). */
  readonly warnings: readonly string[];
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** A configuration error (exit status 2), recognised by its fields so another copy of this class counts too. */
export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof Error && CONFIG_ERROR_NAMES.has(e.name) && Array.isArray((e as { problems?: unknown }).problems);
}

const CONFIG_ERROR_NAMES: ReadonlySet<string> = new Set(['ConfigError', 'PluginRegistrationError']);

const flag = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return fallback;
      if (v.trim() === '') return false; // `NAME=` switches off, as in Aviary
      const value = parseFlag(v);
      if (value !== undefined) return value;
      ctx.addIssue({ code: 'custom', message: `expected ${FLAG_WORDS}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    });

const integer = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return Number(v);
    });

const byteSize = (fallback: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = parseByteSize(v);
      if (n === null || n <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected a size such as 500MB or 10GiB, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return n;
    });

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const CoreEnv = z.object({
  PORT: integer(8000, 0, 65535),
  MULTI_USER: flag(true),
  ALLOW_INSECURE: flag(false),
  AUTH_USERNAME: optionalText,
  AUTH_PASSWORD: optionalText,
  ADMIN_EMAIL: optionalText.refine((v) => v === undefined || /^[^@\s]+@[^@\s]+$/.test(v), 'expected an email address'),
  API_KEY: optionalText,
  JWT_SECRET: optionalText.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
  SESSION_HOURS: integer(24, 1, 24 * 365),
  LOGIN_MAX_FAILURES: integer(10, 1, 10_000),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: integer(30, 1, 100_000),
  API_KEY_MAX_FAILURES: integer(20, 1, 100_000),
  LOGIN_WINDOW_MINUTES: integer(15, 1, 24 * 60),
  RMAPI_CONFIG_PATH: optionalText,
  PDF_DIR: optionalText,
  MAX_RESTORE_UPLOAD_BYTES: byteSize(10 * 1024 ** 3),
  UPLOAD_RETENTION_HOURS: integer(24, 1, 24 * 365),
  BACKUP_SCHEDULE: optionalText,
  BACKUP_RETENTION_COUNT: integer(10, 0, 100_000),
  BACKUP_RETENTION_DAYS: integer(0, 0, 100_000),
  UI_ENABLED: flag(true),
  METRICS_TOKEN: optionalText.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional().default('info'),
});

export interface ConfigOverrides {
  /** Explicit backend options (embedding); when absent they are read from the environment. */
  readonly database?: { kind: string; options?: unknown };
  readonly storage?: { kind: string; options?: unknown };
}

/**
 * Reads and validates the whole configuration once. Every problem (core variables and every
 * backend's options) is collected and thrown together as a ConfigError.
 */
export function loadConfig(env: Env, registry: BackendCatalog, overrides: ConfigOverrides = {}, cwd = process.cwd()): AppConfig {
  const problems: string[] = [];
  const dataDir = resolve(cwd, env.DATA_DIR?.trim() || './data');
  const parsed = CoreEnv.safeParse(env);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const core = parsed.success ? parsed.data : undefined;

  // Resolved even when other variables are wrong, so their problems are reported in the same run.
  const dbKind = overrides.database?.kind ?? (env.DB_TYPE?.trim().toLowerCase() || 'sqlite');
  const storageKind = overrides.storage?.kind ?? (env.STORAGE_BACKEND?.trim().toLowerCase() || 'filesystem');
  const db = registry.resolveDatabase(dbKind, env, dataDir, overrides.database?.options);
  if (!db.ok) problems.push(...db.problems);
  const storage = registry.resolveStorage(storageKind, env, dataDir, overrides.storage?.options);
  if (!storage.ok) problems.push(...storage.problems);

  const present = (name: string) => (env[name]?.trim() ?? '') !== '';
  if (present('AUTH_USERNAME') !== present('AUTH_PASSWORD')) {
    problems.push('AUTH_USERNAME and AUTH_PASSWORD: set both or neither');
  }
  const schedule = env.BACKUP_SCHEDULE?.trim();
  if (schedule && !isSchedule(schedule)) {
    problems.push(`BACKUP_SCHEDULE: expected a 5-field cron expression or @daily/@hourly/@weekly, got ${JSON.stringify(schedule)}`);
  }
  if (problems.length > 0 || !core || !db.ok || !storage.ok) throw new ConfigError(problems);

  const absolute = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  return {
    port: core.PORT,
    dataDir,
    multiUser: core.MULTI_USER,
    allowInsecureCookies: core.ALLOW_INSECURE,
    database: { kind: db.backend.kind, options: db.backend.options },
    storage: { kind: storage.backend.kind, options: storage.backend.options },
    auth: {
      username: core.AUTH_USERNAME,
      password: core.AUTH_PASSWORD,
      adminEmail: core.ADMIN_EMAIL,
      apiKey: core.API_KEY,
      jwtSecret: core.JWT_SECRET,
      sessionHours: core.SESSION_HOURS,
      maxFailedLogins: core.LOGIN_MAX_FAILURES,
      maxFailedLoginsPerAccount: core.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxFailedApiKeys: core.API_KEY_MAX_FAILURES,
      failedLoginWindowMinutes: core.LOGIN_WINDOW_MINUTES,
    },
    rmapiConfigPath: absolute(core.RMAPI_CONFIG_PATH ?? join(homedir(), '.config', 'rmapi', 'rmapi.conf')),
    pdfDir: absolute(core.PDF_DIR ?? join(dataDir, 'pdfs')),
    maxRestoreUploadBytes: core.MAX_RESTORE_UPLOAD_BYTES,
    uploadRetentionHours: core.UPLOAD_RETENTION_HOURS,
    backup: {
      schedule: core.BACKUP_SCHEDULE,
      retentionCount: core.BACKUP_RETENTION_COUNT,
      retentionDays: core.BACKUP_RETENTION_DAYS || undefined,
    },
    logLevel: core.LOG_LEVEL,
    uiEnabled: core.UI_ENABLED,
    metricsToken: core.METRICS_TOKEN,
    warnings: unusedBackendVariables(env, registry, { database: dbKind, storage: storageKind }, overrides),
  };
}

/** Variables always read by the service itself, whichever backend declares them too. */
const CORE_VARIABLES = new Set(['DATA_DIR', ...Object.keys(CoreEnv.shape)]);

/**
 * Variables of backends that are not in use, set to a non-blank value: `S3_BUCKET` without
 * `STORAGE_BACKEND=s3` is silently ignored otherwise, and the operator believes data goes to S3.
 */
function unusedBackendVariables(
  env: Env,
  registry: BackendCatalog,
  chosen: { database: string; storage: string },
  overrides: ConfigOverrides,
): string[] {
  const warnings: string[] = [];
  const roles = [
    { role: 'database', variable: 'DB_TYPE', kind: chosen.database, kinds: registry.databaseKinds(), explicit: overrides.database !== undefined },
    { role: 'storage', variable: 'STORAGE_BACKEND', kind: chosen.storage, kinds: registry.storageKinds(), explicit: overrides.storage !== undefined },
  ] as const;
  const isSet = (name: string) => !CORE_VARIABLES.has(name) && (env[name]?.trim() ?? '') !== '';
  for (const { role, variable, kind, kinds, explicit } of roles) {
    const used = new Set(explicit ? [] : registry.envNamesOf(role, kind));
    const reported = new Set<string>();
    if (explicit) {
      const names = registry.envNamesOf(role, kind).filter(isSet).sort();
      names.forEach((n) => reported.add(n));
      if (names.length > 0) warnings.push(`${list(names)} set but the ${role} options were given explicitly, so ${names.length > 1 ? 'they are' : 'it is'} ignored`);
    }
    for (const other of kinds) {
      if (other === kind) continue;
      const names = registry.envNamesOf(role, other).filter((n) => isSet(n) && !used.has(n) && !reported.has(n)).sort();
      if (names.length === 0) continue;
      names.forEach((n) => reported.add(n));
      const them = names.length > 1 ? 'them' : 'it';
      warnings.push(`${list(names)} set but ${variable} is "${kind}", so ${names.length > 1 ? 'they are' : 'it is'} ignored (set ${variable}=${other} to use ${them})`);
    }
  }
  return warnings;
}

const list = (names: readonly string[]) => `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'}`;

function isSchedule(text: string): boolean {
  try {
    parseCron(text);
    return true;
  } catch {
    return false;
  }
}
