import type { Knex } from 'knex';
import type { Logger } from '@readur/logger';
import { uniqueViolation, type UserRepository } from '../data/user.repository';
import type { EventWriter } from './auth.deps';
import { generatePassword } from './password.service';
import { insertUser } from './registration.usecase';

/** The first admin, from `ADMIN_*` variables. */
export interface AdminSeed {
  username: string;
  email?: string | undefined;
  password?: string | undefined;
}

/** What happened at start-up; `generatedPassword` is set only when this call invented one. */
export interface BootstrapResult {
  created: boolean;
  generatedPassword?: string;
}

// Same in every replica, so two replicas starting at once create one admin.
const BOOTSTRAP_LOCK = 72_731_002;

/** Creates the first admin when no admin exists yet. */
export async function bootstrapAdmin(
  deps: { db: Knex; users: UserRepository; writeEvent: EventWriter; logger: Logger },
  seed: AdminSeed,
): Promise<BootstrapResult> {
  const password = seed.password ?? generatePassword();
  const generatedPassword = seed.password ? undefined : password;

  const created = await deps.db
    .transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(?)', [BOOTSTRAP_LOCK]);
      if (await deps.users.adminExists(trx)) return false;

      await insertUser(deps, trx, { ...seed, password, role: 'admin' });
      return true;
    })
    .catch((error: unknown) => {
      if (!uniqueViolation(error)) throw error;
      // Fail start-up loudly rather than promote or rename someone else's account.
      throw new Error(
        `cannot create the first admin: the username "${seed.username}" or its e-mail is taken ` +
          'by a non-admin account; set ADMIN_USERNAME / ADMIN_EMAIL to free values',
        { cause: error },
      );
    });

  if (!created) return { created: false };
  deps.logger.info('admin account created', { username: seed.username });
  return { created: true, generatedPassword };
}
