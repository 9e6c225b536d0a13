/**
 * Raw multipart uploads over a real socket, with or without a Content-Length, so tests control
 * exactly what the server sees (supertest always knows the length of what it sends).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export function multipartBody(field: string, filename: string, data: Buffer, boundary = 'aviaryTestBoundary7d3f'): { body: Buffer; contentType: string } {
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
      'Content-Type: application/gzip\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, data, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * POSTs `body` in 16 KiB chunks: with `Content-Length` when `knownLength`, else chunked. Resolves
 * with the answer even when the server closes the connection before the body is sent.
 */
export async function postRaw(
  app: express.Express,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
  knownLength: boolean,
): Promise<RawResponse> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<RawResponse>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1', port, path, method: 'POST',
        headers: { ...headers, ...(knownLength ? { 'Content-Length': String(body.length) } : {}) },
      });
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString();
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: the test sees the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      });
      req.on('error', (error) => setTimeout(() => reject(error), 200)); // a response may still arrive
      void (async () => {
        for (let off = 0; off < body.length && !req.destroyed; off += 16 * 1024) {
          if (!req.write(body.subarray(off, off + 16 * 1024))) {
            await new Promise<void>((resolve) => {
              const done = () => {
                req.off('drain', done);
                req.off('close', done);
                resolve();
              };
              req.on('drain', done);
              req.on('close', done);
            });
          }
        }
        if (!req.destroyed) req.end();
      })();
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
