// `npm run migrate`: create the database if missing and apply pending migrations, then exit.
import { loadSettingsOrExit } from '../config';
import { createLogger } from '../logger';
import { prepareDatabase } from '../bootstrap';

const settings = loadSettingsOrExit();
prepareDatabase(settings, createLogger(settings.LOG_LEVEL, 'migrate')).then(
  () => process.stdout.write('database is up to date\n'),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
