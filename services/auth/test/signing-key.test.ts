import { SignJWT, decodeJwt, decodeProtectedHeader, importPKCS8, type JSONWebKeySet } from 'jose';
import { waitFor } from '@readur/testkit';
import { startTestGateway } from '../../gateway/test/support/gateway.fixture';
import { INTERNAL_TOKEN } from './support/auth.fixture';
import {
  ADMIN,
  call,
  signIn,
  startIdentityStack,
  type IdentityStack,
} from './support/stack.fixture';

// The shortest access token lifetime the config accepts, so a retired key leaves within the test.
const TTL_SECONDS = 30;
// The slack the token service adds for clocks that disagree (token.service.ts `timing`).
const CLOCK_SLACK_SECONDS = 60;

let stack: IdentityStack;
let gw: string;

beforeAll(async () => {
  stack = await startIdentityStack('auth_signing_key_test', {
    ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS),
    SIGNING_KEY_PUBLISH_LEAD_SECONDS: '0',
  });
  gw = stack.gateway.url;
});

afterAll(async () => {
  await stack?.close();
});

async function publishedKids(): Promise<(string | undefined)[]> {
  const jwks = (await call(gw, 'GET', '/api/auth/jwks')).body as unknown as JSONWebKeySet;
  return jwks.keys.map((key) => key.kid);
}

interface KeyRow {
  kid: string;
  private_key_pem: string;
  activates_at: Date;
  expires_at: Date | null;
}

const keyRow = (kid: string | undefined) =>
  stack.database.knex('signing_keys').where({ kid }).first<KeyRow>();

describe('when the signing key is rotated with a short token lifetime', () => {
  it('then the old public key stays published while its tokens live, and leaves once they expired', async () => {
    const admin = await signIn(gw, ADMIN);
    const alice = await signIn(gw);
    const oldKid = decodeProtectedHeader(alice.token).kid;

    const rotated = await call(gw, 'POST', '/api/auth/signing-keys/rotate', {
      bearer: admin.token,
    });
    const bob = await signIn(gw);

    const newKid = rotated.body.kid as string;
    expect(decodeProtectedHeader(bob.token).kid).toBe(newKid);
    expect(await publishedKids()).toEqual(expect.arrayContaining([oldKid, newKid]));
    const [oldKey, newKey] = [await keyRow(oldKid), await keyRow(newKid)];
    // Both times come from one database transaction, so the difference is exact.
    expect((oldKey.expires_at?.getTime() ?? 0) - newKey.activates_at.getTime()).toBe(
      (TTL_SECONDS + CLOCK_SLACK_SECONDS) * 1000,
    );

    let oldKeySeenAt = 0;
    await waitFor(
      async () => {
        if (!(await publishedKids()).includes(oldKid)) return true;
        oldKeySeenAt = Date.now();
        return false;
      },
      { description: 'the old key to leave the JWKS', timeoutMs: 150_000, intervalMs: 1_000 },
    );

    expect(oldKeySeenAt).toBeGreaterThan((decodeJwt(alice.token).exp ?? Infinity) * 1000);
    expect(await publishedKids()).toEqual([newKid]);
  }, 180_000);

  it('then a token the retired key signs now is refused by a gateway that reads the JWKS', async () => {
    const alice = await signIn(gw);
    const retired = await stack.database
      .knex('signing_keys')
      .where('expires_at', '<=', stack.database.knex.fn.now())
      .first<KeyRow>();
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ ...decodeJwt(alice.token), iat: now, exp: now + 600 })
      .setProtectedHeader({ alg: 'ES256', kid: retired.kid, typ: 'JWT' })
      .sign(await importPKCS8(retired.private_key_pem, 'ES256'));
    const fresh = await startTestGateway(stack.auth.url, {
      INTERNAL_API_TOKEN: INTERNAL_TOKEN,
      AUTH_INTROSPECTION_CACHE_SECONDS: '0',
    });

    try {
      const withForged = await call(fresh.url, 'GET', '/api/auth/me', { bearer: forged });
      const withCurrent = await call(fresh.url, 'GET', '/api/auth/me', { bearer: alice.token });

      expect(withForged.status).toBe(401);
      expect(withCurrent.status).toBe(200);
    } finally {
      await fresh.close();
    }
  });
});
