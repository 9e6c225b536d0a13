#!/usr/bin/env node
// Builds the admin web page into dist/ui: one minified script and one stylesheet with content-hashed
// names, index.html pointing at them with relative URLs, and a gzip copy of each for the server.
'use strict';
const { mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { basename, join } = require('node:path');
const { gzipSync, constants } = require('node:zlib');
const esbuild = require('esbuild');

const root = join(__dirname, '..');
const source = join(root, 'ui');
const out = join(root, 'dist', 'ui');

async function buildUi() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'assets'), { recursive: true });
  const result = await esbuild.build({
    entryPoints: { app: join(source, 'src', 'main.ts') },
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['chrome109', 'firefox115', 'safari15.4'],
    entryNames: '[name]-[hash]',
    outdir: join(out, 'assets'),
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
  const script = outputs.find((f) => f.endsWith('.js'));
  const style = outputs.find((f) => f.endsWith('.css'));
  if (!script || !style) throw new Error(`build-ui: expected a script and a stylesheet, got ${outputs.join(', ')}`);
  const html = readFileSync(join(source, 'index.html'), 'utf8').replace('{{script}}', `assets/${script}`).replace('{{style}}', `assets/${style}`);
  writeFileSync(join(out, 'index.html'), html);
  let gzipBytes = 0;
  for (const file of [join(out, 'index.html'), join(out, 'assets', script), join(out, 'assets', style)]) {
    const gz = gzipSync(readFileSync(file), { level: constants.Z_BEST_COMPRESSION });
    writeFileSync(`${file}.gz`, gz);
    gzipBytes += gz.length;
  }
  return { dir: out, files: ['index.html', `assets/${script}`, `assets/${style}`], gzipBytes };
}

module.exports = { buildUi };

if (require.main === module) {
  buildUi().then(
    (r) => process.stdout.write(`admin page built into dist/ui (${r.files.join(', ')}; ${r.gzipBytes} bytes gzipped)\n`),
    (error) => {
      process.stderr.write(`${error.stack ?? error}\n`);
      process.exit(1);
    },
  );
}
