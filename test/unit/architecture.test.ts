import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/**
 * The dependency rule (domain ← application ← adapters ← composition ← entry points), checked on every
 * import of every file under src/. A module is named by its path under src/, without extension.
 */

// Frameworks, drivers and I/O that domain and application never import.
const FORBIDDEN_PACKAGES = [
  /^express$/, /^multer$/, /^inversify$/, /^@mikro-orm\//, /^minio$/, /^tar$/, /^archiver$/,
  /^jsonwebtoken$/, /^bcrypt$/, /^pg(-.*)?$/, /^sqlite3$/, /^knex$/, /^(node:)?fs(\/promises)?$/,
  /^(node:)?child_process$/, /^(node:)?http$/, /^(node:)?net$/,
];

/** Entry points and the boot sequence they share: nothing below them may import them. */
const ENTRY = /^(boot|container|server|cli|cli-services|index|aviary-backup)$/;

interface Rule {
  readonly name: string;
  /** Which importing modules the rule applies to. */
  readonly from: RegExp;
  /** Imported modules that break it. */
  readonly to: RegExp;
  /** Imported modules allowed although `to` matches. */
  readonly except?: RegExp;
}

export const RULES: readonly Rule[] = [
  { name: 'domain imports nothing outside the domain', from: /^domain\//, to: /^(?!domain\/)/ },
  { name: 'application never imports adapters, plugins, composition or entry points', from: /^application\//, to: /^(adapters|plugins|composition)\//, },
  { name: 'application never imports adapters, plugins, composition or entry points', from: /^application\//, to: ENTRY },
  { name: 'ports never import use cases', from: /^application\/ports\//, to: /^application\/(use-cases|auth)\// },
  { name: 'adapters never import composition or entry points', from: /^adapters\//, to: /^composition\// },
  { name: 'adapters never import composition or entry points', from: /^adapters\//, to: ENTRY },
  { name: 'adapters see plugins only through the public plugin API', from: /^adapters\//, to: /^plugins\//, except: /^plugins\/plugin-api$/ },
  { name: 'composition never imports entry points', from: /^composition\//, to: ENTRY },
  { name: 'plugins never import composition or entry points', from: /^plugins\//, to: /^composition\// },
  { name: 'plugins never import composition or entry points', from: /^plugins\//, to: ENTRY },
];

const root = join(__dirname, '..', '..');
const src = join(root, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(pattern)) specifiers.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  return specifiers;
}

/** `src/adapters/http/x.ts` → `adapters/http/x`; a directory import names its index. */
function moduleName(path: string): string {
  const withoutExt = path.replace(/\.ts$/, '');
  const name = existsSync(withoutExt) && statSync(withoutExt).isDirectory() ? join(withoutExt, 'index') : withoutExt;
  return relative(src, name).split(sep).join('/');
}

/** Every broken rule in one file, as `file imports spec (rule)`. */
export function violationsIn(file: string, source: string): string[] {
  const from = moduleName(file);
  const found: string[] = [];
  for (const spec of importsOf(source)) {
    const where = `${relative(root, file)} imports ${spec}`;
    if (/^(domain|application)\//.test(from) && FORBIDDEN_PACKAGES.some((re) => re.test(spec))) found.push(`${where} (a framework, driver or I/O module)`);
    if (!spec.startsWith('.')) continue;
    const to = moduleName(join(dirname(file), spec));
    if (to.startsWith('..')) continue;
    for (const rule of RULES) {
      if (rule.from.test(from) && rule.to.test(to) && !rule.except?.test(to)) found.push(`${where} (${rule.name})`);
    }
  }
  return found;
}

export function layerViolations(): string[] {
  return sourceFiles(src).flatMap((file) => violationsIn(file, readFileSync(file, 'utf8')));
}

describe('architecture: the dependency rule', () => {
  it('every import under src/ follows the dependency rule', () => {
    assert.deepEqual(layerViolations(), []);
  });

  it('the check itself catches each kind of wrong-way import', () => {
    const at = (path: string) => join(src, path);
    const cases: [string, string, RegExp][] = [
      ['domain/x.ts', `import { Router } from 'express';`, /framework/],
      ['application/use-cases/x.ts', `import * as fs from 'node:fs';`, /framework/],
      ['domain/x.ts', `import type { Clock } from '../application/ports/system.port';`, /domain imports nothing/],
      ['application/use-cases/x.ts', `import { TarGzArchiveReader } from '../../adapters/archive/tar-gz.archive-reader';`, /application never/],
      ['application/use-cases/x.ts', `import { bootService } from '../../boot';`, /application never/],
      ['application/ports/x.port.ts', `import type { CreateBackup } from '../use-cases/create-backup.use-case';`, /ports never/],
      ['adapters/cli/x.ts', `import { bootService } from '../../boot';`, /adapters never/],
      ['adapters/jobs/x.ts', `import { HTTP_TOKENS } from '../../composition/http-tokens';`, /adapters never/],
      ['adapters/config/x.ts', `import type { PluginRegistry } from '../../plugins/registry';`, /public plugin API/],
      ['composition/x.ts', `import { bootService } from '../boot';`, /composition never/],
      ['plugins/builtin/x.ts', `import { FEATURES } from '../../container';`, /plugins never/],
    ];
    for (const [file, source, expected] of cases) {
      const found = violationsIn(at(file), source);
      assert.equal(found.length, 1, `${file}: ${source} → ${JSON.stringify(found)}`);
      assert.match(found[0], expected);
    }
    assert.deepEqual(violationsIn(at('adapters/cli/x.ts'), `import type { Env } from '../../plugins/plugin-api';`), []);
    assert.deepEqual(violationsIn(at('composition/x.ts'), `import { backupRoutes } from '../adapters/http/backup.router';`), []);
  });
});
