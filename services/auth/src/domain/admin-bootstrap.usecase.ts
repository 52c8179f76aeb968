import type { Knex } from 'knex';
import type { Logger } from '@readur/logger';
import type { UserRepository } from '../data/user.repository';
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

  const created = await deps.db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [BOOTSTRAP_LOCK]);
    if (await deps.users.adminExists(trx)) return false;

    await insertUser(deps, trx, { ...seed, password, role: 'admin' });
    return true;
  });

  if (!created) return { created: false };
  deps.logger.info('admin account created', { username: seed.username });
  return { created: true, generatedPassword };
}
