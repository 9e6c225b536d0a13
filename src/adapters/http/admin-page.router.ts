import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Router, type Request, type Response } from 'express';

/**
 * Where `npm run build` puts the page: `dist/ui`. From the compiled service (dist/adapters/http)
 * that is two folders up; from the sources run by ts-node it is the package's dist/ui.
 */
const CANDIDATES = [join(__dirname, '..', '..', 'ui'), join(__dirname, '..', '..', '..', 'dist', 'ui')];

function assetsRoot(): string | undefined {
  return CANDIDATES.find((dir) => existsSync(join(dir, 'index.html')));
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// The page loads only its own files and talks only to this service.
const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(js|css|svg)$/;

/**
 * The admin web page, built at build time: `GET /` answers index.html, `GET /assets/…` the bundled
 * files (gzip-compressed copies made at build time are sent when the browser accepts them). Nothing
 * is read at start: files are looked up when first asked for.
 */
export function adminPageRouter(): Router {
  const router = Router();
  const gzipped = new Map<string, boolean>();

  function send(req: Request, res: Response, root: string, name: string, cache: string): void {
    const extension = name.slice(name.lastIndexOf('.'));
    const headers: Record<string, string> = {
      'Content-Type': TYPES[extension] ?? 'application/octet-stream',
      'Cache-Control': cache,
      'X-Content-Type-Options': 'nosniff',
      Vary: 'Accept-Encoding',
    };
    let file = name;
    if (!gzipped.has(name)) gzipped.set(name, existsSync(join(root, `${name}.gz`)));
    if (gzipped.get(name) && req.acceptsEncodings('gzip') === 'gzip') {
      file = `${name}.gz`;
      headers['Content-Encoding'] = 'gzip';
    }
    if (extension === '.html') {
      headers['Content-Security-Policy'] = PAGE_POLICY;
      headers['Referrer-Policy'] = 'same-origin';
    }
    res.sendFile(file, { root, headers, dotfiles: 'deny', lastModified: false }, (error) => {
      if (error && !res.headersSent) res.status(404).json({ error: 'Not found', code: 'not_found' });
    });
  }

  router.get('/', (req, res) => {
    // Relative URLs in the page need the trailing slash when the service is mounted at a path.
    const [path, query] = req.originalUrl.split('?', 2);
    if (!path.endsWith('/')) {
      res.redirect(301, `${path}/${query === undefined ? '' : `?${query}`}`);
      return;
    }
    const root = assetsRoot();
    if (!root) {
      res.status(503).json({ error: 'The admin page is not built: run `npm run build`', code: 'admin_page_not_built' });
      return;
    }
    send(req, res, root, 'index.html', 'no-cache');
  });

  router.get('/assets/:name', (req, res) => {
    const name = String(req.params.name);
    const root = assetsRoot();
    if (!root || !ASSET_NAME.test(name)) {
      res.status(404).json({ error: 'Not found', code: 'not_found' });
      return;
    }
    // Names carry a content hash: a new build is a new name.
    send(req, res, join(root, 'assets'), name, 'public, max-age=31536000, immutable');
  });

  return router;
}
