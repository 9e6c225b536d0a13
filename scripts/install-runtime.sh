#!/usr/bin/env sh
# Production dependencies of an unpacked package folder (what the Docker image and
# scripts/check-package-layout.sh run): `npm ci --omit=dev` against the lock file, then the
# native build's intermediates removed (sqlite3 compiles from source and leaves ~30 MB of objects).
set -eu
app="$1"
cd "$app"
npm ci --omit=dev --no-audit --no-fund
sqlite3=node_modules/sqlite3
if [ -f "$sqlite3/build/Release/node_sqlite3.node" ]; then
  keep=$(mktemp)
  cp "$sqlite3/build/Release/node_sqlite3.node" "$keep"
  rm -rf "$sqlite3/build" "$sqlite3/deps" "$sqlite3/src"
  mkdir -p "$sqlite3/build/Release"
  mv "$keep" "$sqlite3/build/Release/node_sqlite3.node"
fi
