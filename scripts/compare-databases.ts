/**
 * Compares the seven exported tables of two Aviary databases column by column, as Aviary's Go
 * model reads them (NULL in a non-pointer column = Go's zero value; times to the microsecond):
 *
 *   npm run compare:aviary-db -- sqlite:/data/aviary.db postgres:aviary [--json]
 *
 * `postgres:NAME` connects with DB_HOST, DB_PORT, DB_USER, DB_PASSWORD (default 127.0.0.1:5432
 * postgres); a postgres:// URL works too. Exit 0 when every row matches, 1 otherwise.
 */
import { parseArgs } from 'node:util';
import { parseTarget } from './aviary-db/connection';
import { compareAviaryDatabases, nullsInPlainColumns, type ComparisonReport } from './aviary-db/compare';

export function formatReport(report: ComparisonReport): string {
  const lines = [`${report.a}  vs  ${report.b}  (${(report.elapsedMs / 1000).toFixed(1)} s)`];
  for (const t of report.tables) {
    lines.push(
      `  ${t.table.padEnd(20)} ${String(t.rowsA).padStart(9)} / ${String(t.rowsB).padStart(9)} rows, ` +
        `${t.equal} equal, ${t.different} different, ${t.onlyInA} only in first, ${t.onlyInB} only in second`,
    );
    for (const d of t.examples) lines.push(`      ${d.key} ${d.column}: ${JSON.stringify(d.a)} ≠ ${JSON.stringify(d.b)}`);
  }
  lines.push(report.identical ? 'IDENTICAL' : 'DIFFERENT');
  return lines.join('\n') + '\n';
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  if (positionals.length !== 2) {
    process.stderr.write('usage: npm run compare:aviary-db -- sqlite:PATH|postgres:NAME sqlite:PATH|postgres:NAME [--json]\n');
    return 2;
  }
  const [a, b] = positionals.map((p) => parseTarget(p));
  const report = await compareAviaryDatabases(a, b);
  const nulls = { a: await nullsInPlainColumns(a), b: await nullsInPlainColumns(b) };
  if (values.json) process.stdout.write(JSON.stringify({ ...report, nullsInPlainColumns: nulls }, null, 2) + '\n');
  else {
    const show = (counts: Record<string, number>) =>
      Object.keys(counts).length === 0 ? 'none' : Object.entries(counts).map(([c, n]) => `${c} ${n}`).join(', ');
    process.stdout.write(formatReport(report) + `NULLs read as zero values — first: ${show(nulls.a)}\n  second: ${show(nulls.b)}\n`);
  }
  return report.identical ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (error) => {
      process.stderr.write(`compare:aviary-db: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
