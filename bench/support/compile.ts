import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const repo = join(__dirname, '..', '..');

/**
 * Transpiles src/ and bench/support/ to plain JavaScript under `outDir` (type-checking is
 * `npm run typecheck`'s job), so a contender runs as the production image runs it: compiled,
 * without ts-node and the TypeScript compiler in its heap (they add ≈150 MB of RSS).
 * node_modules is linked in so packages resolve from the output tree. Returns the output root.
 */
export function compileForBench(outDir: string): string {
  const config = ts.getParsedCommandLineOfConfigFile(join(repo, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error('tsconfig.json could not be read');
  const options = { ...config.options, sourceMap: false, declaration: false };
  for (const file of ['src', 'bench/support'].flatMap((dir) => tsFiles(join(repo, dir)))) {
    const output = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file });
    const target = join(outDir, relative(repo, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output.outputText);
  }
  cpSync(join(repo, 'package.json'), join(outDir, 'package.json'));
  symlinkSync(join(repo, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  return outDir;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}
