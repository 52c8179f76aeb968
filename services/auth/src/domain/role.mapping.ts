import type { Role } from './user.model';

/** Which claim carries the provider's groups or roles, and which values make an admin. */
export interface RoleMapping {
  /** A claim name or a dotted path into nested claims (`realm_access.roles`); unset: no mapping. */
  claim: string | undefined;
  adminValues: string[];
}

function readPath(claims: Record<string, unknown>, path: string): unknown {
  // A claim whose name itself has dots (URL-style custom claims) wins over a nested path.
  if (path in claims) return claims[path];
  return path.split('.').reduce<unknown>((value, key) => {
    if (value === null || typeof value !== 'object') return undefined;
    return (value as Record<string, unknown>)[key];
  }, claims);
}

function asValues(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter(Boolean);
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/**
 * The role the provider's claims give: `admin` when the claim holds one of the admin values
 * (a string, a list, or a space- or comma-separated string), else `user`; undefined when no
 * claim is configured, so roles stay as they are.
 */
export function mapRole(claims: Record<string, unknown>, mapping: RoleMapping): Role | undefined {
  if (!mapping.claim) return undefined;
  const values = asValues(readPath(claims, mapping.claim));
  return values.some((value) => mapping.adminValues.includes(value)) ? 'admin' : 'user';
}
