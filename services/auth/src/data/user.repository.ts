import type { Knex } from 'knex';
import type { Role, User } from '../domain/user.model';

interface UserRow {
  id: string;
  username: string;
  email: string | null;
  password_hash: string | null;
  role: Role;
  created_at: Date;
}

/** What is needed to insert a local user. */
export interface NewUser {
  id: string;
  username: string;
  email: string | null;
  passwordHash: string;
  role: Role;
}

const COLUMNS = ['id', 'username', 'email', 'password_hash', 'role', 'created_at'] as const;
const UNIQUE_VIOLATION = '23505';

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    role: row.role,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
  };
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
      })
      .returning([...COLUMNS]);
    return toUser(rows[0] as UserRow);
  }

  /** Finds a user by id. */
  async findById(id: string): Promise<User | undefined> {
    const row = await this.db<UserRow>('users').where({ id }).first();
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

  /** True when at least one admin exists (read inside `trx` so a lock holder sees it). */
  async adminExists(trx: Knex.Transaction): Promise<boolean> {
    const row = await trx('users').select('id').where({ role: 'admin' }).first<UserRow>();
    return row !== undefined;
  }
}
