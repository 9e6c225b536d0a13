/**
 * Errors and warnings of one analysis. A broken table can yield a problem per row; each group
 * keeps its first few and then says how many more there were, so the answer stays readable.
 */
export class Findings {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];
  private readonly suppressed = new Map<string, { kind: 'error' | 'warning'; count: number }>();
  private readonly perGroup = new Map<string, number>();

  constructor(private readonly perGroupLimit = 20) {}

  error(message: string, group?: string): void {
    this.add('error', message, group);
  }

  warn(message: string, group?: string): void {
    this.add('warning', message, group);
  }

  private add(kind: 'error' | 'warning', message: string, group?: string): void {
    if (group !== undefined) {
      const key = `${kind}:${group}`;
      const seen = (this.perGroup.get(key) ?? 0) + 1;
      this.perGroup.set(key, seen);
      if (seen > this.perGroupLimit) {
        const s = this.suppressed.get(key) ?? { kind, count: 0 };
        s.count++;
        this.suppressed.set(key, s);
        return;
      }
    }
    (kind === 'error' ? this.errors : this.warnings).push(message);
  }

  /** Appends the "… and N more" lines; call once at the end. */
  close(): void {
    for (const [key, s] of this.suppressed) {
      const group = key.slice(key.indexOf(':') + 1);
      (s.kind === 'error' ? this.errors : this.warnings).push(`${group}: ${s.count} more ${s.kind}s not shown`);
    }
    this.suppressed.clear();
  }
}
