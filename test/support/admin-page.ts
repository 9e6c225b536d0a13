/** The admin page built into dist/ui, as `npm run build` does; built once per test process. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

let built = false;

export function ensureAdminPageBuilt(): void {
  if (built) return;
  execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build-ui.js')], { stdio: 'pipe' });
  built = true;
}
