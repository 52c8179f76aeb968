import { randomBytes } from 'node:crypto';
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { AppError } from '@readur/errors';

// `Algorithm.Argon2id` is an ambient const enum, which isolatedModules cannot inline.
const ARGON2ID = 2 as Algorithm;

// OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

const MIN_LENGTH = 8;
const MAX_LENGTH = 256;

let dummyHash: Promise<string> | undefined;

/** Hashes a password with argon2id. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/**
 * Checks `password` against `passwordHash`. Without a hash (unknown user, or an account with no
 * local password) it still spends the time of one verification, so timing tells nothing.
 */
export async function verifyPassword(
  passwordHash: string | null,
  password: string,
): Promise<boolean> {
  if (passwordHash) return verify(passwordHash, password);

  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verify(await dummyHash, password);
  return false;
}

/** Throws 400 `WEAK_PASSWORD` unless the password is long enough, varied and not the username. */
export function assertStrongPassword(password: string, username: string): void {
  const problems: string[] = [];
  if (password.length < MIN_LENGTH) problems.push(`at least ${MIN_LENGTH} characters`);
  if (password.length > MAX_LENGTH) problems.push(`at most ${MAX_LENGTH} characters`);
  if (password.toLowerCase() === username.toLowerCase()) problems.push('must not be the username');
  if (new Set(password).size < 4) problems.push('at least 4 different characters');
  if (problems.length === 0) return;

  throw new AppError('WEAK_PASSWORD', `Password is too weak: ${problems.join(', ')}`, 400, {
    details: problems,
  });
}

/** A random password for the first admin when the operator set none. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
