/**
 * Lengths (in lines) of every function, method and arrow function with a block body under a folder:
 * median, 90th percentile and the longest ones. `node -r ts-node/register/transpile-only
 * scripts/function-lengths.ts [folder] [--top N] [--skip sub/folder]…`. The testing kit's suites
 * (describe bodies) are better skipped: they are lists of cases, not logic.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as { name?: ts.Node };
  if (named.name) return named.name.getText(source);
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText(source);
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText(source);
  return '(anonymous)';
}

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 10;
const skips = args.flatMap((a, i) => (args[i - 1] === '--skip' ? [a] : []));
const root = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--top' && args[i - 1] !== '--skip') ?? 'src';
const found: { where: string; lines: number }[] = [];
for (const file of files(root).filter((f) => !skips.some((skip) => f.startsWith(join(root, skip))))) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body && ts.isBlock((node as { body: ts.Node }).body)) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ where: `${file}:${start + 1} ${nameOf(node, source)}`, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
const sorted = found.map((f) => f.lines).sort((a, b) => a - b);
const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
console.log(`${found.length} functions: median ${at(0.5)} lines, p90 ${at(0.9)}, longest ${sorted[sorted.length - 1]}`);
for (const f of found.sort((a, b) => b.lines - a.lines).slice(0, top)) console.log(`${String(f.lines).padStart(4)}  ${f.where}`);
