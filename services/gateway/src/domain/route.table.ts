/** The services the gateway forwards to; `gateway` routes are answered by the gateway itself. */
export type Upstream = 'auth' | 'document' | 'webhook' | 'sync' | 'gateway';

/** Who may call a route: anyone, any signed-in user (or API key), or admins only. */
export type Access = 'public' | 'user' | 'admin';

/** HTTP methods the table uses; HEAD is served by GET routes. */
export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** The kind of resource a route's first path parameter names and who owns it. */
export type Resource = 'document' | 'webhook' | 'source' | 'api_key' | 'user';

/** One route of the public API. */
export interface RouteSpec {
  method: Method;
  /** Express-style pattern: `/api/documents/:id`. */
  path: string;
  upstream: Upstream;
  access: Access;
  /** Uploads get the large body limit; everything else the small one. */
  upload?: boolean;
  /** API keys are refused (403 `SESSION_REQUIRED`): managing credentials needs a person. */
  sessionOnly?: boolean;
  /** The resource `:id` names; other users' resources answer 404. */
  resource?: Resource;
}

/** A request matched against the table. */
export interface Route extends RouteSpec {
  /** True when the route changes state (anything but GET): read-scope keys get 403. */
  write: boolean;
  authenticated: boolean;
}

/**
 * The public API, route by route: the single source of truth for what the gateway forwards,
 * to whom, and who may call it. A path that is not here is answered 404 by the gateway, and
 * the isolation test walks this table, so a new route cannot skip either.
 */
export const ROUTES: readonly RouteSpec[] = [
  { method: 'POST', path: '/api/auth/register', upstream: 'auth', access: 'public' },
  { method: 'POST', path: '/api/auth/login', upstream: 'auth', access: 'public' },
  { method: 'POST', path: '/api/auth/refresh', upstream: 'auth', access: 'public' },
  { method: 'GET', path: '/api/auth/jwks', upstream: 'auth', access: 'public' },
  { method: 'GET', path: '/api/auth/config', upstream: 'auth', access: 'public' },
  { method: 'GET', path: '/api/auth/oidc/login', upstream: 'auth', access: 'public' },
  { method: 'GET', path: '/api/auth/oidc/callback', upstream: 'auth', access: 'public' },
  {
    method: 'POST',
    path: '/api/auth/oidc/backchannel-logout',
    upstream: 'auth',
    access: 'public',
  },
  { method: 'GET', path: '/api/auth/me', upstream: 'auth', access: 'user' },
  {
    method: 'POST',
    path: '/api/auth/oidc/logout',
    upstream: 'auth',
    access: 'user',
    sessionOnly: true,
  },
  { method: 'POST', path: '/api/auth/logout', upstream: 'auth', access: 'user', sessionOnly: true },
  {
    method: 'POST',
    path: '/api/auth/password',
    upstream: 'auth',
    access: 'user',
    sessionOnly: true,
  },
  { method: 'GET', path: '/api/auth/keys', upstream: 'auth', access: 'user', sessionOnly: true },
  { method: 'POST', path: '/api/auth/keys', upstream: 'auth', access: 'user', sessionOnly: true },
  {
    method: 'DELETE',
    path: '/api/auth/keys/:id',
    upstream: 'auth',
    access: 'user',
    sessionOnly: true,
    resource: 'api_key',
  },
  {
    method: 'POST',
    path: '/api/auth/signing-keys/rotate',
    upstream: 'auth',
    access: 'admin',
    sessionOnly: true,
  },
  { method: 'GET', path: '/api/users', upstream: 'auth', access: 'admin' },
  { method: 'POST', path: '/api/users', upstream: 'auth', access: 'admin' },
  { method: 'GET', path: '/api/users/:id', upstream: 'auth', access: 'admin', resource: 'user' },
  { method: 'PATCH', path: '/api/users/:id', upstream: 'auth', access: 'admin', resource: 'user' },
  { method: 'DELETE', path: '/api/users/:id', upstream: 'auth', access: 'admin', resource: 'user' },

  {
    method: 'POST',
    path: '/api/documents/upload',
    upstream: 'document',
    access: 'user',
    upload: true,
  },
  { method: 'POST', path: '/api/documents', upstream: 'document', access: 'user', upload: true },
  { method: 'GET', path: '/api/documents', upstream: 'document', access: 'user' },
  ...(['', '/download', '/ocr', '/similar', '/archive', '/thumbnail'] as const).map(
    (suffix): RouteSpec => ({
      method: 'GET',
      path: `/api/documents/:id${suffix}`,
      upstream: 'document',
      access: 'user',
      resource: 'document',
    }),
  ),
  {
    method: 'POST',
    path: '/api/documents/:id/ocr/retry',
    upstream: 'document',
    access: 'user',
    resource: 'document',
  },
  ...(['PATCH', 'DELETE'] as const).map((method): RouteSpec => ({
    method,
    path: '/api/documents/:id',
    upstream: 'document',
    access: 'user',
    resource: 'document',
  })),
  { method: 'GET', path: '/api/search', upstream: 'document', access: 'user' },
  { method: 'GET', path: '/api/search/facets', upstream: 'document', access: 'user' },
  { method: 'GET', path: '/api/ocr/languages', upstream: 'document', access: 'user' },
  { method: 'GET', path: '/api/queue/stats', upstream: 'document', access: 'user' },

  { method: 'POST', path: '/api/sources', upstream: 'sync', access: 'user' },
  { method: 'GET', path: '/api/sources', upstream: 'sync', access: 'user' },
  { method: 'POST', path: '/api/sources/test', upstream: 'sync', access: 'user' },
  ...(['GET', 'PATCH', 'DELETE'] as const).map((method): RouteSpec => ({
    method,
    path: '/api/sources/:id',
    upstream: 'sync',
    access: 'user',
    resource: 'source',
  })),
  ...(
    [
      ['POST', '/sync'],
      ['POST', '/sync/stop'],
      ['GET', '/status'],
    ] as const
  ).map(([method, suffix]): RouteSpec => ({
    method,
    path: `/api/sources/:id${suffix}`,
    upstream: 'sync',
    access: 'user',
    resource: 'source',
  })),

  { method: 'POST', path: '/api/webhooks', upstream: 'webhook', access: 'user' },
  { method: 'GET', path: '/api/webhooks', upstream: 'webhook', access: 'user' },
  ...(
    [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['POST', '/rotate-secret'],
      ['POST', '/ping'],
      ['GET', '/deliveries'],
      ['POST', '/deliveries/:delivery_id/redeliver'],
    ] as const
  ).map(([method, suffix]): RouteSpec => ({
    method,
    path: `/api/webhooks/:id${suffix}`,
    upstream: 'webhook',
    access: 'user',
    resource: 'webhook',
  })),

  { method: 'GET', path: '/ws', upstream: 'gateway', access: 'user' },
];

interface CompiledRoute {
  spec: RouteSpec;
  pattern: RegExp;
}

function compile(spec: RouteSpec): CompiledRoute {
  const source = spec.path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.]/g, '\\.')))
    .join('/');
  return { spec, pattern: new RegExp(`^${source}$`) };
}

const COMPILED = ROUTES.map(compile);

/** Whether `path` is one of the throttled sign-in routes. */
export function isCredentialRoute(method: string, path: string): boolean {
  return (
    method === 'POST' &&
    (path === '/api/auth/login' || path === '/api/auth/register' || path === '/api/auth/refresh')
  );
}

/**
 * The route of `ROUTES` a request matches, or undefined (the gateway answers 404).
 * `/internal/*` is never routed. A trailing slash is ignored; HEAD is served like GET.
 */
export function resolveRoute(method: string, path: string): Route | undefined {
  const normalised = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const wanted = method === 'HEAD' ? 'GET' : method;
  const match = COMPILED.find(
    (route) => route.spec.method === wanted && route.pattern.test(normalised),
  );
  if (!match) return undefined;

  return {
    ...match.spec,
    write: wanted !== 'GET',
    authenticated: match.spec.access !== 'public',
  };
}
