/** The services the gateway forwards to. */
export type Upstream = 'auth' | 'document' | 'webhook';

/** Where a request goes and what it needs. */
export interface Route {
  upstream: Upstream;
  /** False only for the sign-in routes and the key set. */
  authenticated: boolean;
  /** Uploads get the large body limit; everything else the small one. */
  upload: boolean;
}

const PUBLIC_AUTH_PATHS = new Set([
  '/api/auth/register',
  '/api/auth/login',
  '/api/auth/jwks',
  '/api/auth/config',
]);

const UPLOAD_PATHS = new Set(['/api/documents/upload', '/api/documents']);

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

function hasPrefix(path: string, prefix: string): boolean {
  return path.startsWith(prefix);
}

/** Whether `path` is one of the throttled sign-in routes. */
export function isCredentialRoute(method: string, path: string): boolean {
  return method === 'POST' && (path === '/api/auth/login' || path === '/api/auth/register');
}

/**
 * The routing table of docs/services.md: which service owns `path`, or undefined when no
 * service does (the gateway answers 404). `/internal/*` is never routed.
 */
export function resolveRoute(method: string, path: string): Route | undefined {
  const normalised = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const upload = method === 'POST' && UPLOAD_PATHS.has(normalised);

  if (under(normalised, '/api/auth')) {
    return { upstream: 'auth', authenticated: !PUBLIC_AUTH_PATHS.has(normalised), upload };
  }
  if (hasPrefix(normalised, '/api/users')) {
    return { upstream: 'auth', authenticated: true, upload };
  }
  if (hasPrefix(normalised, '/api/documents') || hasPrefix(normalised, '/api/search')) {
    return { upstream: 'document', authenticated: true, upload };
  }
  // OCR languages and the OCR queue belong to the document service, which tracks both.
  if (under(normalised, '/api/ocr') || under(normalised, '/api/queue')) {
    return { upstream: 'document', authenticated: true, upload };
  }
  if (under(normalised, '/api/webhooks')) {
    return { upstream: 'webhook', authenticated: true, upload };
  }
  return undefined;
}
