#!/usr/bin/env node
'use strict';
/**
 * s3rver 3.7.1 on loopback, patched where it differs from S3 in ways the minio 8 client meets: fixes 1-3
 * are the ones in the toolchain notes (S3 section), 4-7 were found by the BlobStore contract suite.
 * The test suites start it through test/support/s3-server.ts; operators and developers can run it by hand:
 *
 *   node test/support/s3rver-child.js --port 9000 --dir ./data-s3 --bucket aviary
 *
 * and point the service at it:
 *
 *   S3_ENDPOINT=http://127.0.0.1:9000 S3_FORCE_PATH_STYLE=true S3_ACCESS_KEY_ID=S3RVER \
 *   S3_SECRET_ACCESS_KEY=S3RVER S3_BUCKET=aviary STORAGE_BACKEND=s3 npm start
 *
 * Flags: --port N (0 = any free port; default 9000), --dir PATH (default ./data-s3), --host (default
 * 127.0.0.1), --bucket NAME (created at start, repeatable), --exit-with-stdin (exit when stdin closes,
 * so the child never outlives the test process that spawned it).
 * Prints one line `{"port":N}` on stdout once it accepts connections. Use the access key id S3RVER; s3rver
 * does not verify SigV4 signatures, so the secret is not checked (these tests prove the protocol, not auth).
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function parseArgs(argv) {
  const args = { port: 9000, dir: './data-s3', host: '127.0.0.1', buckets: [], exitWithStdin: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    if (flag === '--port') args.port = Number(value());
    else if (flag === '--dir') args.dir = value();
    else if (flag === '--host') args.host = value();
    else if (flag === '--bucket') args.buckets.push(value());
    else if (flag === '--exit-with-stdin') args.exitWithStdin = true;
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error('--port must be 0-65535');
  return args;
}

/** Fix 1: minio asks ListMultipartUploads (GET /bucket?uploads) before multipart puts; s3rver answers 501. */
function emptyMultipartListing(ctx, next) {
  const segments = ctx.path.split('/').filter(Boolean);
  if (ctx.method !== 'GET' || segments.length !== 1 || !('uploads' in ctx.query)) return next();
  ctx.type = 'application/xml';
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Bucket>${segments[0]}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
    '<NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker>' +
    '<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>';
  return undefined;
}

/** Fix 3: concurrent deletes race in s3rver's empty-directory cleanup (500 ENOENT); run them one at a time. */
function serialiseDeletes(FilesystemStore) {
  const original = FilesystemStore.prototype.deleteObject;
  let tail = Promise.resolve();
  FilesystemStore.prototype.deleteObject = function deleteObjectSerialised(...args) {
    const run = tail.then(() => original.apply(this, args));
    tail = run.catch(() => undefined);
    return run;
  };
}

/**
 * Fix 4: minio always asks for `encoding-type=url` listings and URL-decodes every key it gets back; s3rver
 * ignores the parameter, so "50% off.pdf" breaks the listing and "C++.pdf" comes back as "C  .pdf".
 * Encode the keys as S3 does. Runs inside s3rver's XML encoder, so it sees the response as an object.
 */
async function urlEncodedListing(ctx, next) {
  await next();
  const result = ctx.body && ctx.body.ListBucketResult;
  if (!result || ctx.query['encoding-type'] !== 'url') return;
  // RFC 3986 escaping, as S3 does; plain encodeURIComponent would leave "'" to s3rver's XML escaping
  // (&#x27;), an entity minio's XML parser does not decode.
  const escape = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  result.EncodingType = 'url';
  for (const item of result.Contents || []) item.Key = escape(item.Key);
  for (const item of result.CommonPrefixes || []) item.Prefix = escape(item.Prefix);
}

/**
 * Fix 5: s3rver lists in directory-walk order, so "a/x" comes before "a b" and "a.b"; S3 orders keys by
 * their UTF-8 bytes, and paging with StartAfter then skips keys. List in byte order instead.
 */
function byteOrderedListing(FilesystemStore) {
  const { walk } = require('s3rver/lib/utils');
  const S3Object = require('s3rver/lib/models/object');
  const SUFFIX = '._S3rver_object';
  FilesystemStore.prototype.listObjects = async function listObjectsInByteOrder(bucket, options) {
    const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
    const bucketPath = this.getBucketPath(bucket);
    const prefixPath = `${bucketPath}/${prefix}`;
    const after = Buffer.from(startAfter);
    const keys = [];
    const commonPrefixes = new Set();
    const inScope = (dir) => dir.startsWith(prefixPath) || prefixPath.startsWith(`${dir}/`);
    for (const filePath of walk(bucketPath, inScope)) {
      if (!filePath.endsWith(SUFFIX)) continue;
      const key = filePath.slice(bucketPath.length + 1, -SUFFIX.length);
      if (!key.startsWith(prefix) || Buffer.compare(Buffer.from(key), after) <= 0) continue;
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (cut === -1) keys.push(key);
      else commonPrefixes.add(key.slice(0, cut + delimiter.length));
    }
    keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = keys.slice(0, maxKeys);
    const metadata = await Promise.all(page.map((key) => this.getMetadata(bucket, key).catch(() => undefined)));
    return {
      objects: page.flatMap((key, i) => (metadata[i] ? [new S3Object(bucket, key, null, metadata[i])] : [])),
      commonPrefixes: [...commonPrefixes].sort(),
      isTruncated: keys.length > page.length,
    };
  };
}

/**
 * Fix 6: s3rver reads x-amz-copy-source with decodeURI, so a fully escaped source ("?" as %3F, "+" as %2B,
 * as S3 requires) is not found. Hand it a form decodeURI turns back into the real key.
 */
function decodedCopySource(ctx, next) {
  const source = ctx.headers['x-amz-copy-source'];
  if (source) ctx.headers['x-amz-copy-source'] = encodeURI(decodeURIComponent(source));
  return next();
}

/** Fix 7: s3rver reads "Range: bytes=0-0" as "from 0 to the end" (end 0 is falsy) and sends the whole object. */
function exactFirstByteRange(FilesystemStore) {
  const original = FilesystemStore.prototype.getObject;
  FilesystemStore.prototype.getObject = async function getObjectWithZeroEnd(bucket, key, options) {
    const object = await original.call(this, bucket, key, options);
    if (object && object.content && options && options.start === 0 && options.end === 0) {
      object.content.destroy();
      object.content = fs.createReadStream(this.getResourcePath(bucket, key, 'object'), { start: 0, end: 0 });
      object.range.end = 0;
    }
    return object;
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const S3rver = require('s3rver');
  const FilesystemStore = require('s3rver/lib/stores/filesystem');
  serialiseDeletes(FilesystemStore);
  byteOrderedListing(FilesystemStore);
  exactFirstByteRange(FilesystemStore);
  const server = new S3rver({
    address: args.host,
    port: args.port,
    directory: path.resolve(args.dir),
    silent: true,
    configureBuckets: args.buckets.map((name) => ({ name })),
  });
  // s3rver's stack is [logger, XML encoder, mount interop, vhost, router]; fix 4 goes right inside the encoder.
  if (server.middleware.length !== 5) throw new Error('unexpected s3rver middleware stack: is s3rver still 3.7.1?');
  server.middleware.splice(2, 0, urlEncodedListing);
  server.middleware.unshift(emptyMultipartListing, decodedCopySource);
  const address = await server.run();
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
  if (args.exitWithStdin) {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.on('close', () => process.exit(0));
    process.stdin.resume();
  }
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
}

// Fix 2: s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers through
// its legacy provider. Re-run under `--openssl-legacy-provider` when started without it.
if (!process.execArgv.includes('--openssl-legacy-provider')) {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', ...process.execArgv, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  main().catch((error) => {
    process.stderr.write(`s3rver failed to start: ${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  });
}
