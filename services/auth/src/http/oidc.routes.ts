import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '@readur/errors';
import { parseInput } from '@readur/http';
import {
  OIDC_LOGIN_MAX_AGE_SECONDS,
  backchannelLogout,
  finishOidcLogin,
  oidcLogout,
  startOidcLogin,
  type OidcDeps,
} from '../domain/oidc-login.usecase';
import { identityOf, requireIdentity, requireSession } from './identity.middleware';

/** Where the sign-on routes send the browser. */
export interface OidcRouteSettings {
  redirectUri: string;
  postLoginRedirect: string;
}

const STATE_COOKIE = 'readur_oidc_state';
const COOKIE_PATH = '/api/auth/oidc';

const logoutBody = z.object({ logout_token: z.string().min(1).max(16_384) });

function stateCookie(req: Request): string | undefined {
  const header = req.headers.cookie ?? '';
  const pair = header.split(';').find((part) => part.trim().startsWith(`${STATE_COOKIE}=`));
  return pair ? decodeURIComponent(pair.slice(pair.indexOf('=') + 1).trim()) : undefined;
}

function setStateCookie(res: Response, state: string, secure: boolean): void {
  res.cookie(STATE_COOKIE, state, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: COOKIE_PATH,
    maxAge: OIDC_LOGIN_MAX_AGE_SECONDS * 1000,
  });
}

/**
 * `/api/auth/oidc/*`: the redirect to the provider, the callback (the platform's own tokens go
 * to the configured page in the URL fragment, which browsers never send to a server), the
 * provider's back-channel logout, and RP-initiated logout.
 */
export function oidcRoutes(
  deps: OidcDeps,
  internalToken: string,
  settings: OidcRouteSettings,
): Router {
  const router = Router();
  const secure = settings.redirectUri.startsWith('https:');

  router.get('/login', async (_req, res) => {
    const { url, state } = await startOidcLogin(deps);
    setStateCookie(res, state, secure);
    res.redirect(302, url);
  });

  router.get('/callback', async (req, res) => {
    // The address the provider redirected to, whatever host this replica sees.
    const callbackUrl = new URL(settings.redirectUri);
    callbackUrl.search = new URL(req.originalUrl, 'http://localhost').search;

    const session = await finishOidcLogin(deps, callbackUrl, stateCookie(req));
    res.clearCookie(STATE_COOKIE, { path: COOKIE_PATH });
    const fragment = new URLSearchParams({
      access_token: session.accessToken.token,
      token_type: 'Bearer',
      expires_in: String(session.accessToken.expiresIn),
      refresh_token: session.refreshToken,
    });
    res.set('Cache-Control', 'no-store');
    res.redirect(302, `${settings.postLoginRedirect}#${fragment.toString()}`);
  });

  router.post(
    '/backchannel-logout',
    express.urlencoded({ extended: false, limit: '32kb' }),
    async (req, res) => {
      const body = parseInput(logoutBody, req.body);
      await backchannelLogout(deps, body.logout_token);
      res.set('Cache-Control', 'no-store');
      res.status(200).end();
    },
  );

  router.post('/logout', requireIdentity(internalToken), requireSession, async (_req, res) => {
    const logoutUrl = await oidcLogout(deps, identityOf(res).sessionId);
    res.json({ logout_url: logoutUrl ?? null });
  });

  return router;
}

/** `/api/auth/oidc/*` when single sign-on is off: 404 `OIDC_DISABLED`. */
export function oidcDisabledRoutes(): Router {
  const router = Router();
  router.use(() => {
    throw new AppError('OIDC_DISABLED', 'Single sign-on is not enabled', 404);
  });
  return router;
}
