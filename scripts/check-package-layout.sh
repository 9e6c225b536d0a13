#!/usr/bin/env bash
# The Docker image's file layout, checked without an engine: pack the package, unpack it into a
# scratch folder, install production dependencies exactly as the Dockerfile does
# (scripts/install-runtime.sh), then run the CLI (through a PATH link, as in the image) and the
# server from there until /healthz answers. Prints what it checked; exits non-zero on any failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/aviary-layout-XXXXXX")
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

cd "$root"
node scripts/build.js --if-stale
step "npm pack"
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
echo "$tarball ($(du -h "$work/$tarball" | cut -f1))"

step "unpack + npm ci --omit=dev (scripts/install-runtime.sh)"
app="$work/app"
mkdir -p "$app" "$work/bin" "$work/data"
tar xzf "$work/$tarball" -C "$app" --strip-components=1
cp package-lock.json "$app/"
started=$(date +%s)
sh scripts/install-runtime.sh "$app" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
echo "installed in $(( $(date +%s) - started )) s"

step "layout"
cd "$app"
for path in dist/server.js dist/index.js dist/cli.js bin/aviary-backup.js node_modules/sqlite3/build/Release/node_sqlite3.node; do
  [ -e "$path" ] || { echo "missing: $path"; exit 1; }
done
for path in src node_modules/typescript node_modules/ts-node node_modules/mocha node_modules/sqlite3/build/Release/obj.target node_modules/sqlite3/deps; do
  [ ! -e "$path" ] || { echo "must not ship: $path"; exit 1; }
done
echo "dist/, bin/, the sqlite3 binding present; no src/, TypeScript, ts-node, mocha or build intermediates"
echo "node_modules: $(du -sh node_modules | cut -f1)"

step "aviary-backup --help (bin linked on the PATH, as in the image)"
ln -s "$app/bin/aviary-backup.js" "$work/bin/aviary-backup"
PATH="$work/bin:$PATH" aviary-backup --help | head -n 4
step "npx aviary-backup --help (from the package folder)"
npx --no-install aviary-backup --help | head -n 2

step "node dist/server.js until /healthz"
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
started=$(date +%s%N)
NODE_ENV=production DATA_DIR="$work/data" PORT="$port" LOG_LEVEL=warn node dist/server.js >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  if body=$(node -e "fetch('http://127.0.0.1:$port/healthz').then(async r=>{if(!r.ok)process.exit(1);console.log(await r.text())},()=>process.exit(1))" 2>/dev/null); then
    echo "GET /healthz -> $body after $(( ($(date +%s%N) - started) / 1000000 )) ms"
    break
  fi
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "the server exited"; exit 1; }
  sleep 0.1
done
[ -n "${body:-}" ] || { cat "$work/server.log"; echo "no /healthz answer"; exit 1; }
ready=$(node -e "fetch('http://127.0.0.1:$port/readyz').then(r=>r.text()).then(console.log)")
echo "GET /readyz -> $ready"
echo
echo "package layout OK"
