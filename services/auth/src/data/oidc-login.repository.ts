import type { Knex } from 'knex';

/** One redirect to the provider that has not come back yet. */
export interface PendingOidcLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** All SQL on `oidc_logins`. */
export class OidcLoginRepository {
  constructor(private readonly db: Knex) {}

  /** Remembers a redirect's secrets until the callback. */
  async insert(login: PendingOidcLogin): Promise<void> {
    await this.db('oidc_logins').insert({
      state: login.state,
      nonce: login.nonce,
      code_verifier: login.codeVerifier,
    });
  }

  /**
   * Removes and returns the pending login of `state` when it is younger than `maxAgeSeconds`;
   * a second callback with the same state finds nothing.
   */
  async take(state: string, maxAgeSeconds: number): Promise<PendingOidcLogin | undefined> {
    const rows: { state: string; nonce: string; code_verifier: string; fresh: boolean }[] =
      await this.db('oidc_logins')
        .where({ state })
        .delete()
        .returning([
          'state',
          'nonce',
          'code_verifier',
          this.db.raw('created_at > now() - make_interval(secs => ?) AS fresh', [maxAgeSeconds]),
        ]);
    const row = rows[0];
    if (!row?.fresh) return undefined;
    return { state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier };
  }

  /** Forgets redirects that never came back. */
  async deleteOlderThan(maxAgeSeconds: number): Promise<void> {
    await this.db('oidc_logins')
      .whereRaw('created_at < now() - make_interval(secs => ?)', [maxAgeSeconds])
      .delete();
  }
}
