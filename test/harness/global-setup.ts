// Runs once before all test files: PostgreSQL and Redis must answer, and a template database
// with every migration applied is made, so each test file clones its own database in milliseconds.
import { prepareTemplateDatabase } from './database';
import { assertServicesUp } from './services';

export default async function globalSetup(): Promise<void> {
  await assertServicesUp();
  await prepareTemplateDatabase();
}
