import type { Logger } from '../../application/ports/system.port';
import { safeErrorText } from './safe-error-text';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Field names whose values never reach a log line, whatever a caller passes. */
const SECRET_FIELD = /pass(word)?|secret|token|hash|api_?key|rmapi_config|authorization|cookie/i;

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_FIELD.test(k)) out[k] = '[redacted]';
    else if (v instanceof Error) out[k] = safeErrorText(v);
    else out[k] = v;
  }
  return out;
}

/** One line per event on stderr: `time level message {fields}`. */
export class ConsoleLogger implements Logger {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
  ) {}

  debug(message: string, fields?: Record<string, unknown>): void {
    this.log('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.log('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.log('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.log('error', message, fields);
  }

  private log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const extra = fields && Object.keys(fields).length > 0 ? ' ' + JSON.stringify(redact(fields)) : '';
    this.write(`${new Date().toISOString()} ${level.toUpperCase()} ${message}${extra}`);
  }
}
