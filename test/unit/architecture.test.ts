import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

// The dependency rule: domain and application depend on nothing but themselves (and zod-free TS).
const FORBIDDEN = [
  /^express$/, /^multer$/, /^inversify$/, /^@mikro-orm\//, /^minio$/, /^tar$/, /^archiver$/,
  /^jsonwebtoken$/, /^bcrypt$/, /^pg(-.*)?$/, /^sqlite3$/, /^knex$/, /^(node:)?fs(\/promises)?$/,
  /^(node:)?child_process$/, /^(node:)?http$/, /^(node:)?net$/,
];
const root = join(__dirname, '..', '..');

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

export function layerViolations(layers: string[]): string[] {
  const violations: string[] = [];
  for (const layer of layers) {
    for (const file of sourceFiles(join(root, layer))) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const rel = relative(root, file);
        if (FORBIDDEN.some((re) => re.test(spec))) violations.push(`${rel} imports ${spec}`);
        if (spec.startsWith('.') && /\/(adapters|plugins)\//.test(join(file, '..', spec) + '/')) {
          violations.push(`${rel} imports ${spec} (an outer layer)`);
        }
      }
    }
  }
  return violations;
}

describe('architecture: the dependency rule', () => {
  it('src/domain and src/application import no framework, driver or node:fs', () => {
    assert.deepEqual(layerViolations(['src/domain', 'src/application']), []);
  });

  it('the check itself catches a forbidden import', () => {
    assert.ok(importsOf(`import { Router } from 'express';`).some((s) => FORBIDDEN.some((re) => re.test(s))));
    assert.ok(importsOf(`import * as fs from 'node:fs';`).some((s) => FORBIDDEN.some((re) => re.test(s))));
  });
});
