import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** This service's own version, from package.json (works from src/ and from dist/). */
export const SERVICE_VERSION: string = (() => {
  try {
    return JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
})();
