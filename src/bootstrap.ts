// What every entry point does before serving: PostgreSQL reachable, database created and migrated,
// and a first admin so a newcomer can always sign in.
import type { Settings } from './config';
import { hashPassword, generatePassword } from './auth/passwords';
import { ensureDatabase, migrate } from './db/migrate';
import type { Db } from './db/pool';
import * as users from './db/users';
import type { Logger } from './logger';

export async function prepareDatabase(settings: Settings, log: Logger): Promise<void> {
  try {
    if (await ensureDatabase(settings.DATABASE_URL)) log.info('created the database');
  } catch (error) {
    const url = new URL(settings.DATABASE_URL);
    url.password = '';
    throw new Error(
      `PostgreSQL at ${url.host} did not answer (${(error as Error).message}). ` +
        'Run `bash scripts/services.sh` to start a local one, or set DATABASE_URL.',
    );
  }
  const applied = await migrate(settings.DATABASE_URL);
  if (applied.length) log.info({ applied }, 'applied migrations');
}

export interface FirstAdmin {
  email: string;
  /** only when this start created the user with a generated password: shown once */
  generatedPassword?: string;
}

/**
 * ADMIN_EMAIL (+ ADMIN_PASSWORD) makes that super_admin when missing; with neither and no user at
 * all, admin@localhost is made with a random password that is printed once.
 */
export async function ensureFirstAdmin(db: Db, settings: Settings): Promise<FirstAdmin | null> {
  let email = settings.ADMIN_EMAIL;
  if (!email) {
    if ((await users.countUsers(db)) > 0) return null;
    email = 'admin@localhost';
  }
  if (await users.findUserByEmail(db, email)) return null;
  const password = settings.ADMIN_PASSWORD ?? generatePassword();
  await users.createUser(db, { email, name: 'Administrator', passwordHash: await hashPassword(password), roles: ['super_admin'] });
  return { email, generatedPassword: settings.ADMIN_PASSWORD ? undefined : password };
}
