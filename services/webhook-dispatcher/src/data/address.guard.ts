import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** Which targets the HTTP client may connect to. */
export interface AddressPolicy {
  /** `WEBHOOK_ALLOW_PRIVATE_TARGETS`: loopback, private, link-local and unique-local allowed. */
  allowPrivate: boolean;
}

/** Cloud metadata endpoints: refused even when private targets are allowed. */
const METADATA = ['169.254.169.254', 'fd00:ec2::254', '100.100.100.200'];

/** Ranges opened by `allowPrivate`; everything else that is not public unicast stays closed. */
const PRIVATE_RANGES = new Set([
  'private',
  'loopback',
  'linkLocal',
  'uniqueLocal',
  'carrierGradeNat',
]);

/** Thrown (as a lookup or socket error) when a target address is refused. */
export class ForbiddenAddressError extends Error {
  readonly code = 'ERR_WEBHOOK_ADDRESS_FORBIDDEN';
  constructor(
    readonly address: string,
    readonly range: string,
  ) {
    super(`address ${address} is ${range}; webhooks may not call it`);
    this.name = 'ForbiddenAddressError';
  }
}

/** Why `address` is refused, or undefined when it may be called. */
export function refusal(address: string, policy: AddressPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const parsed = ipaddr.process(address);
  const normal = parsed.toString();
  if (METADATA.some((blocked) => ipaddr.process(blocked).toString() === normal)) {
    return 'a cloud metadata address';
  }

  const range = parsed.range();
  if (range === 'unicast') return undefined;
  if (policy.allowPrivate && PRIVATE_RANGES.has(range)) return undefined;
  return range;
}

/** Throws `ForbiddenAddressError` when `address` is refused. */
export function assertAllowed(address: string, policy: AddressPolicy): void {
  const reason = refusal(address, policy);
  if (reason) throw new ForbiddenAddressError(address, reason);
}

/** Resolves a host name to every address it has: the system resolver, or an embedder's own. */
export type HostResolver = (
  hostname: string,
  options?: dns.LookupOptions,
) => Promise<dns.LookupAddress[]>;

/** `getaddrinfo` through `dns.lookup`, as any other client on the machine resolves names. */
export const systemResolver: HostResolver = (hostname, options = {}) =>
  dns.promises.lookup(hostname, { ...options, all: true });

/** The first refused address among `addresses`, as an error; undefined when all are allowed. */
export function refusedAmong(
  addresses: readonly dns.LookupAddress[],
  policy: AddressPolicy,
): ForbiddenAddressError | undefined {
  for (const entry of addresses) {
    const reason = refusal(entry.address, policy);
    if (reason) return new ForbiddenAddressError(entry.address, reason);
  }
  return undefined;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `net.connect` / `http.Agent` that resolves the name and refuses the whole
 * answer if any address is forbidden. The socket connects only to what this returned, so a
 * name that re-resolves to a private address between a check and the connect (DNS
 * rebinding) is refused at the moment it matters.
 */
export function guardedLookup(policy: AddressPolicy, resolver: HostResolver = systemResolver) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    void resolver(hostname, options).then(
      (addresses) => {
        const refused = refusedAmong(addresses, policy);
        if (refused) {
          callback(refused, []);
          return;
        }
        const first = addresses[0];
        if (options.all) callback(null, addresses);
        else if (first) callback(null, first.address, first.family);
        else callback(notFound(hostname), []);
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    );
  };
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
}

/** The host of a URL without IPv6 brackets; `net.isIP` of it is non-zero for IP literals. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** True when the URL names its target by IP address (no lookup happens for those). */
export function isIpLiteral(url: URL): boolean {
  return net.isIP(hostOf(url)) !== 0;
}
