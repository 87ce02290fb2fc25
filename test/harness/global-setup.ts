// Runs once before all test files: PostgreSQL and Redis must answer, a template database with every
// migration applied is made (each test file clones its own in milliseconds), and the admin UI is built
// when its sources changed, for the browser tests (in a child process: Vite is ESM and jest runs CJS).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { prepareTemplateDatabase } from './database';
import { assertServicesUp } from './services';

export default async function globalSetup(): Promise<void> {
  await assertServicesUp();
  await prepareTemplateDatabase();
  const root = path.resolve(__dirname, '../..');
  execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/build-ui.ts'), '--quiet'], { cwd: root, stdio: 'inherit' });
}
