/**
 * Which backend a reverse proxy configuration sends a path to, read from the configuration
 * itself, so the Ingress, the IngressRoute and the Traefik file can be held to one route table.
 */

/** Where a request goes and the body limit the proxy applies (undefined: none of its own). */
export interface RouteDecision {
  service: string;
  bodyLimit: number | undefined;
}

interface IngressPath {
  path: string;
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: { service: { name: string } };
}
interface IngressJson {
  metadata: { annotations?: Record<string, string> };
  spec: { rules: { http: { paths: IngressPath[] } }[] };
}

/** `500m`, `1m`, `64k` or a byte count, as ingress-nginx's proxy-body-size reads it. */
function nginxSize(value: string | undefined): number | undefined {
  const match = /^(\d+)([kmg]?)$/i.exec(value ?? '');
  if (!match) return undefined;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]?.toLowerCase() ?? ''] ?? 1;
  return Number(match[1]) * unit;
}

/** Kubernetes Prefix matching: by whole path elements (`/api` matches `/api/x`, not `/apix`). */
function prefixMatches(prefix: string, url: string): boolean {
  const trimmed = prefix.replace(/\/+$/, '');
  return url === trimmed || url.startsWith(`${trimmed}/`);
}

/** The Ingress rule ingress-nginx picks for `url`: an Exact match, else the longest Prefix. */
export function ingressRoute(ingresses: unknown[], url: string): RouteDecision | undefined {
  const candidates = (ingresses as IngressJson[]).flatMap((ingress) =>
    ingress.spec.rules.flatMap((rule) =>
      rule.http.paths.map((entry) => ({ entry, annotations: ingress.metadata.annotations ?? {} })),
    ),
  );
  const exact = candidates.find(({ entry }) => entry.pathType === 'Exact' && entry.path === url);
  const prefix = candidates
    .filter(({ entry }) => entry.pathType === 'Prefix' && prefixMatches(entry.path, url))
    .sort((a, b) => b.entry.path.length - a.entry.path.length)[0];
  const chosen = exact ?? prefix;
  if (!chosen) return undefined;
  return {
    service: chosen.entry.backend.service.name,
    bodyLimit: nginxSize(chosen.annotations['nginx.ingress.kubernetes.io/proxy-body-size']),
  };
}

interface TraefikRouter {
  rule: string;
  priority?: number;
  service: string;
  middlewares: string[];
}

/** True when every Path/PathPrefix term of a Traefik rule matches (Host terms are ignored). */
function ruleMatches(rule: string, url: string): boolean {
  const terms = [...rule.matchAll(/(PathPrefix|Path)\(`([^`]+)`\)/g)];
  if (terms.length === 0) return false;
  return terms.every(([, matcher, value]) =>
    matcher === 'Path' ? url === value : url.startsWith(value ?? '\u0000'),
  );
}

function routersOf(
  config: unknown,
  mode: 'crd' | 'file',
  middlewares: Map<string, number | undefined>,
) {
  if (mode === 'file') {
    const http = (config as { http: Record<string, Record<string, unknown>> }).http;
    for (const [name, middleware] of Object.entries(http.middlewares ?? {})) {
      const buffering = (middleware as { buffering?: { maxRequestBodyBytes?: number } }).buffering;
      middlewares.set(name, buffering?.maxRequestBodyBytes);
    }
    return Object.values(http.routers ?? {}) as unknown as TraefikRouter[];
  }
  const spec = (config as { spec: { routes: Record<string, unknown>[] } }).spec;
  return spec.routes.map((route) => ({
    rule: route.match as string,
    priority: route.priority as number | undefined,
    service: (route.services as { name: string }[])[0]?.name ?? '',
    middlewares: ((route.middlewares as { name: string }[] | undefined) ?? []).map((m) => m.name),
  }));
}

/**
 * The Traefik router that takes `url`: highest priority first (Traefik's default priority is
 * the rule's length). `config` is an IngressRoute (`crd`, with its Middlewares in
 * `crdMiddlewares`) or a file-provider document (`file`).
 */
export function traefikRoute(
  config: unknown,
  url: string,
  mode: 'crd' | 'file',
  crdMiddlewares: unknown[] = [],
): RouteDecision | undefined {
  const limits = new Map<string, number | undefined>();
  for (const middleware of crdMiddlewares as {
    metadata: { name: string };
    spec: { buffering?: { maxRequestBodyBytes?: number } };
  }[]) {
    limits.set(middleware.metadata.name, middleware.spec.buffering?.maxRequestBodyBytes);
  }
  const routers = routersOf(config, mode, limits).sort(
    (a, b) => (b.priority ?? b.rule.length) - (a.priority ?? a.rule.length),
  );
  const router = routers.find((candidate) => ruleMatches(candidate.rule, url));
  if (!router) return undefined;
  const bodyLimit = (router.middlewares ?? [])
    .map((name) => limits.get(name.replace(/@file$/, '')))
    .find((limit) => limit !== undefined);
  return { service: router.service, bodyLimit };
}
