import type { Knex } from 'knex';
import type { Role, User } from '../domain/user.model';

interface UserRow {
  id: string;
  username: string;
  email: string | null;
  password_hash: string | null;
  role: Role;
  oidc_issuer: string | null;
  oidc_subject: string | null;
  disabled_at: Date | null;
  created_at: Date;
}

/** What is needed to insert a user; SSO users have no password hash. */
export interface NewUser {
  id: string;
  username: string;
  email: string | null;
  passwordHash: string | null;
  role: Role;
  oidcIssuer?: string | null;
  oidcSubject?: string | null;
}

/** The fields an update may change. */
export interface UserChanges {
  email?: string | null;
  role?: Role;
  passwordHash?: string;
  disabledAt?: Date | null;
  oidcIssuer?: string;
  oidcSubject?: string;
}

/** One page of users. */
export interface UserPage {
  users: User[];
  total: number;
}

const COLUMNS = [
  'id',
  'username',
  'email',
  'password_hash',
  'role',
  'oidc_issuer',
  'oidc_subject',
  'disabled_at',
  'created_at',
] as const;
const UNIQUE_VIOLATION = '23505';

// Same in every replica: changes to who is admin are serialised so the last admin survives.
const ADMIN_CHANGE_LOCK = 72_731_003;

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    role: row.role,
    passwordHash: row.password_hash,
    oidcIssuer: row.oidc_issuer,
    oidcSubject: row.oidc_subject,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
  };
}

function toRow(changes: UserChanges): Partial<UserRow> {
  const row: Partial<UserRow> = {};
  if (changes.email !== undefined) row.email = changes.email;
  if (changes.role !== undefined) row.role = changes.role;
  if (changes.passwordHash !== undefined) row.password_hash = changes.passwordHash;
  if (changes.disabledAt !== undefined) row.disabled_at = changes.disabledAt;
  if (changes.oidcIssuer !== undefined) row.oidc_issuer = changes.oidcIssuer;
  if (changes.oidcSubject !== undefined) row.oidc_subject = changes.oidcSubject;
  return row;
}

/** The unique index a failed insert collided with, if that is why it failed. */
export function uniqueViolation(error: unknown): string | undefined {
  const pgError = error as { code?: string; constraint?: string };
  return pgError?.code === UNIQUE_VIOLATION ? (pgError.constraint ?? 'unknown') : undefined;
}

/** All SQL on the `users` table. */
export class UserRepository {
  constructor(private readonly db: Knex) {}

  /** Inserts a user inside `trx`; throws the database error on a duplicate. */
  async insert(trx: Knex.Transaction, user: NewUser): Promise<User> {
    const rows: UserRow[] = await trx<UserRow>('users')
      .insert({
        id: user.id,
        username: user.username,
        email: user.email,
        password_hash: user.passwordHash,
        role: user.role,
        oidc_issuer: user.oidcIssuer ?? null,
        oidc_subject: user.oidcSubject ?? null,
      })
      .returning([...COLUMNS]);
    return toUser(rows[0] as UserRow);
  }

  /** Finds a user by id, inside `trx` when given. */
  async findById(id: string, trx: Knex | Knex.Transaction = this.db): Promise<User | undefined> {
    const row = await trx<UserRow>('users').where({ id }).first();
    return row ? toUser(row) : undefined;
  }

  /** Finds a user by username or e-mail, case-insensitively. */
  async findByLogin(login: string): Promise<User | undefined> {
    const key = login.toLowerCase();
    const row = await this.db<UserRow>('users')
      .whereRaw('lower(username) = ?', [key])
      .orWhereRaw('lower(email) = ?', [key])
      .orderByRaw('lower(username) = ? DESC', [key])
      .first();
    return row ? toUser(row) : undefined;
  }

  /** Finds a user by e-mail, case-insensitively. */
  async findByEmail(email: string, trx: Knex.Transaction): Promise<User | undefined> {
    const row = await trx<UserRow>('users')
      .whereRaw('lower(email) = ?', [email.toLowerCase()])
      .first();
    return row ? toUser(row) : undefined;
  }

  /** Finds the user linked to an identity of an OpenID provider. */
  async findByOidcIdentity(
    issuer: string,
    subject: string,
    trx: Knex.Transaction,
  ): Promise<User | undefined> {
    const row = await trx<UserRow>('users')
      .where({ oidc_issuer: issuer, oidc_subject: subject })
      .first();
    return row ? toUser(row) : undefined;
  }

  /** True when a username is taken, case-insensitively. */
  async usernameTaken(username: string, trx: Knex.Transaction): Promise<boolean> {
    const row = await trx('users')
      .select('id')
      .whereRaw('lower(username) = ?', [username.toLowerCase()])
      .first<UserRow | undefined>();
    return row !== undefined;
  }

  /** Users ordered by creation, with the total count. */
  async list(page: { limit: number; offset: number }): Promise<UserPage> {
    const rows = await this.db<UserRow>('users')
      .select([...COLUMNS])
      .orderBy([{ column: 'created_at' }, { column: 'id' }])
      .limit(page.limit)
      .offset(page.offset);
    const counted = await this.db('users').count<{ count: string }[]>({ count: '*' });
    return { users: rows.map(toUser), total: Number(counted[0]?.count ?? 0) };
  }

  /** Applies `changes` to one user inside `trx`; undefined when the user is gone. */
  async update(trx: Knex.Transaction, id: string, changes: UserChanges): Promise<User | undefined> {
    const rows: UserRow[] = await trx<UserRow>('users')
      .where({ id })
      .update({ ...toRow(changes), updated_at: trx.fn.now() } as Partial<UserRow>)
      .returning([...COLUMNS]);
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  /** Deletes one user (sessions and keys go with it); false when it did not exist. */
  async delete(trx: Knex.Transaction, id: string): Promise<boolean> {
    return (await trx('users').where({ id }).delete()) > 0;
  }

  /**
   * Takes the lock that serialises changes to admins, then counts the enabled admins, so two
   * concurrent demotions cannot both see "another admin is left".
   */
  async lockAndCountActiveAdmins(trx: Knex.Transaction): Promise<number> {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [ADMIN_CHANGE_LOCK]);
    const counted = await trx('users')
      .where({ role: 'admin' })
      .whereNull('disabled_at')
      .count<{ count: string }[]>({ count: '*' });
    return Number(counted[0]?.count ?? 0);
  }

  /** True when at least one admin exists (read inside `trx` so a lock holder sees it). */
  async adminExists(trx: Knex.Transaction): Promise<boolean> {
    const row = await trx('users').select('id').where({ role: 'admin' }).first<UserRow>();
    return row !== undefined;
  }
}
