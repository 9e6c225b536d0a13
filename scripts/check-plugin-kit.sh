#!/usr/bin/env bash
# A plugin author's path, outside the repository: `npm pack` the service; in a scratch folder make a
# new plugin package (a storage plugin in plain JavaScript) that installs the tarball, run the published
# contract suite (aviary-backup/testing) under mocha, then start the packed server with AVIARY_PLUGINS
# and take a backup and restore it through the HTTP API with the plugin's storage. Exits non-zero on failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/aviary-plugin-kit-XXXXXX")
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

cd "$root"
step "npm pack"
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
echo "$tarball ($(du -h "$work/$tarball" | cut -f1))"
mocha_version=$(node -p "require('./package.json').devDependencies.mocha")

step "a new plugin package installs the tarball"
plugin="$work/aviary-plugin-memory-demo"
mkdir -p "$plugin/test"
cat >"$plugin/package.json" <<JSON
{ "name": "aviary-plugin-memory-demo", "version": "1.0.0", "main": "index.js", "private": true,
  "scripts": { "test": "mocha test/*.test.js" },
  "dependencies": { "aviary-backup": "file:../$tarball" },
  "devDependencies": { "mocha": "$mocha_version" } }
JSON
# The plugin: objects in process memory. It imports only the package's public entry.
cat >"$plugin/index.js" <<'JS'
const { PLUGIN_API_VERSION, DomainError, InvalidInputError, NotFoundError, ConflictError, assertValidKey, assertValidPrefix } = require('aviary-backup');

class MemoryStore {
  kind = 'memory-demo';
  objects = new Map();
  async ping() {}
  async put(key, body, options = {}) {
    assertValidKey(key);
    const chunks = [];
    for await (const chunk of body) {
      if (options.signal?.aborted) throw Object.assign(new Error('The put was aborted'), { name: 'AbortError' });
      chunks.push(Buffer.from(chunk));
    }
    if (options.signal?.aborted) throw Object.assign(new Error('The put was aborted'), { name: 'AbortError' });
    const data = Buffer.concat(chunks);
    if (options.size !== undefined && options.size !== data.length) {
      throw new DomainError('integrity', 'blob_size_mismatch', `Body of ${key} had ${data.length} bytes, ${options.size} were declared`);
    }
    const entry = { data, modifiedAt: new Date() };
    this.objects.set(key, entry);
    return { key, size: data.length, modifiedAt: entry.modifiedAt };
  }
  async get(key, range = {}) {
    assertValidKey(key);
    const entry = this.objects.get(key);
    if (!entry) throw new NotFoundError('blob_not_found', `Blob ${JSON.stringify(key)} not found`);
    if (entry.data.length === 0 && range.start === undefined && range.end === undefined) return (async function* () {})();
    const { start = 0, end = entry.data.length - 1 } = range;
    if (start > end || (entry.data.length > 0 && start >= entry.data.length) || (entry.data.length === 0 && start > 0)) {
      throw new InvalidInputError('invalid_range', `Range ${start}-${end} outside ${entry.data.length} bytes`);
    }
    const data = entry.data.subarray(start, Math.min(end, entry.data.length - 1) + 1);
    return (async function* () { yield data; })();
  }
  async stat(key) {
    assertValidKey(key);
    const entry = this.objects.get(key);
    return entry ? { key, size: entry.data.length, modifiedAt: entry.modifiedAt } : null;
  }
  async delete(key) {
    assertValidKey(key);
    this.objects.delete(key);
  }
  async move(from, to, options = {}) {
    assertValidKey(from);
    assertValidKey(to);
    const entry = this.objects.get(from);
    if (!entry) throw new NotFoundError('blob_not_found', `Blob ${JSON.stringify(from)} not found`);
    if (!options.overwrite && from !== to && this.objects.has(to)) throw new ConflictError('blob_exists', `Blob ${JSON.stringify(to)} exists`);
    this.objects.delete(from);
    this.objects.set(to, entry);
  }
  async listPage(prefix, options = {}) {
    assertValidPrefix(prefix);
    const limit = Math.min(options.limit ?? 1000, 1000);
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && (!options.cursor || Buffer.compare(Buffer.from(k), Buffer.from(options.cursor)) > 0))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = keys.slice(0, limit);
    const items = page.map((key) => ({ key, size: this.objects.get(key).data.length, modifiedAt: this.objects.get(key).modifiedAt }));
    return { items, cursor: keys.length > limit ? page[page.length - 1] : undefined };
  }
  async deletePrefix(prefix) {
    assertValidPrefix(prefix);
    let n = 0;
    for (const key of [...this.objects.keys()]) if (key.startsWith(prefix)) { this.objects.delete(key); n++; }
    return n;
  }
  async close() {}
}

// Options typed by shape: any { safeParse } answers like zod's.
const optionsSchema = { safeParse: (input) => ({ success: true, data: input ?? {} }) };

exports.MemoryStore = MemoryStore;
exports.plugin = {
  name: 'aviary-plugin-memory-demo',
  apiVersion: PLUGIN_API_VERSION,
  register(api) {
    api.registerStorage('memory-demo', { optionsSchema, create: async () => new MemoryStore() });
  },
};
JS
cat >"$plugin/test/contract.test.js" <<'JS'
const { blobStoreContract } = require('aviary-backup/testing');
const { MemoryStore } = require('..');
blobStoreContract('memory-demo', async () => ({ store: new MemoryStore() }));
JS
cd "$plugin"
started=$(date +%s)
npm install --no-audit --no-fund --prefer-offline >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
echo "installed in $(( $(date +%s) - started )) s; aviary-backup $(node -p "require('aviary-backup/package.json').version")"

step "the published contract suite (npm test in the plugin package)"
npm test 2>&1 | tail -n 6

step "the packed server with AVIARY_PLUGINS=<the plugin folder>: backup and restore over HTTP"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
mkdir -p "$work/data"
AVIARY_PLUGINS="$plugin" STORAGE_BACKEND=memory-demo DATA_DIR="$work/data" PORT="$port" \
  AUTH_USERNAME=admin AUTH_PASSWORD=plugin-kit-password ALLOW_INSECURE=true LOG_LEVEL=warn \
  node node_modules/aviary-backup/dist/server.js >"$work/server.log" 2>&1 &
server_pid=$!
PORT="$port" node - <<'JS' || { cat "$work/server.log"; exit 1; }
const base = `http://127.0.0.1:${process.env.PORT}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
(async () => {
  let ready;
  for (let i = 0; i < 600 && !ready; i++) {
    ready = await fetch(`${base}/readyz`).then((r) => (r.ok ? r.json() : undefined), () => undefined);
    if (!ready) await sleep(100);
  }
  if (!ready) throw new Error('no /readyz answer');
  console.log(`GET /readyz -> storage kind ${ready.storage.kind}`);
  if (ready.storage.kind !== 'memory-demo') throw new Error('the plugin is not the storage');
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'plugin-kit-password' }) });
  const cookie = login.headers.get('set-cookie').split(';')[0];
  const call = async (method, path, body) => {
    const res = await fetch(`${base}${path}`, { method, headers: { cookie, ...(body && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}) }, body: body instanceof FormData ? body : body && JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${await res.text()}`);
    return res;
  };
  const { job_id } = await (await call('POST', '/api/admin/backup-job')).json();
  let job;
  do { await sleep(200); job = await (await call('GET', `/api/admin/backup-job/${job_id}`)).json(); } while (job.status === 'pending' || job.status === 'running');
  if (job.status !== 'completed') throw new Error(`backup ${job.status}: ${job.error_message}`);
  const archive = Buffer.from(await (await call('GET', `/api/admin/backup-job/${job_id}/download`)).arrayBuffer());
  console.log(`backup ${job.filename}: ${archive.length} bytes, stored in the plugin's storage`);
  const form = new FormData();
  form.append('backup_file', new Blob([archive]), job.filename);
  const { upload_id } = await (await call('POST', '/api/admin/restore/upload', form)).json();
  const analysis = await (await call('POST', `/api/admin/restore/uploads/${upload_id}/analyze`)).json();
  if (!analysis.valid) throw new Error(`analysis: ${JSON.stringify(analysis.metadata.errors)}`);
  const restored = await (await call('POST', '/api/admin/restore', { upload_id, overwrite_database: true, overwrite_files: true, user_ids: [] })).json();
  console.log(`restore: ${JSON.stringify(restored).slice(0, 160)}`);
})().catch((e) => { console.error(e.message); process.exit(1); });
JS
echo
echo "plugin kit OK"
