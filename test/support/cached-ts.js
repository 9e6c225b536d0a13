// Loads .ts files as ts-node's transpile-only mode does (one file at a time, no type check), keeping each
// output on disk keyed by its source, so the child processes that tests start (and kill) skip loading and
// running TypeScript after the first time. Compiler options mirror tsconfig.json.
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');

const OPTIONS = {
  target: 'ES2022', module: 'CommonJS', esModuleInterop: true, experimentalDecorators: true,
  emitDecoratorMetadata: true, useDefineForClassFields: false, sourceMap: false, inlineSourceMap: true,
};
const dir = path.join(tmpdir(), 'aviary-backup-ts-cache');
const salt = 'v2' + JSON.stringify(OPTIONS) + require('typescript/package.json').version;
let ts;

require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const file = path.join(dir, `${createHash('sha256').update(salt).update(filename).update(source).digest('hex')}.js`);
  let output;
  try {
    output = fs.readFileSync(file, 'utf8');
  } catch {
    ts ??= require('typescript');
    const { options, errors } = ts.convertCompilerOptionsFromJson(OPTIONS, process.cwd());
    if (errors.length > 0) throw new Error(`cached-ts: bad compiler options: ${errors.map((e) => e.messageText).join('; ')}`);
    output = ts.transpileModule(source, { compilerOptions: options, fileName: filename }).outputText;
    fs.mkdirSync(dir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, output);
    fs.renameSync(temp, file);
  }
  module._compile(output, filename);
};
