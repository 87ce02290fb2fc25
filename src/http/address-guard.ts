// Which addresses outbound requests may reach: public unicast only, unless ALLOW_PRIVATE_HOSTS lists
// the host (as written in the URL) or the IP. Sources are URLs typed by content admins and redirects
// chosen by remote servers, so without this a config could read the cloud metadata service
// (169.254.169.254), Redis or the admin API from inside our network (SSRF).
//
// Names are checked in the DNS lookup the socket itself uses, so the address checked is the address
// connected to (no gap for DNS rebinding between a check and the connect). Node connects to literal
// IPs without a lookup, so those are checked on the URL, before the request and on every redirect.
import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import ipaddr from 'ipaddr.js';

/** Thrown inside got (lookup, beforeRedirect hook); the client turns it into a `blocked_address` HttpError. */
export class AddressRefused extends Error {
  override readonly name = 'AddressRefused';
}

/** Thrown before any request for what is not an http(s) URL we may send; becomes `invalid_url`. */
export class UrlRefused extends Error {
  override readonly name = 'UrlRefused';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export type GuardedLookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

export interface AddressGuard {
  /** Scheme, credentials and literal-IP host of a URL about to be requested (first or redirected). */
  checkUrl(url: URL, options: { allowCredentialsInUrl: boolean }): void;
  /** dns.lookup that answers only with permitted addresses, for got's `dnsLookup`. */
  lookup: GuardedLookup;
}

/** The IP with IPv4-mapped IPv6 (::ffff:10.0.0.1) seen as the IPv4 it maps, or undefined for a name. */
function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return ipaddr.isValid(bare) ? ipaddr.process(bare) : undefined;
}

/** Host names compare without case or a final dot (localhost. is localhost). */
const hostKey = (host: string) => host.toLowerCase().replace(/\.$/, '');

export function createAddressGuard(allowPrivateHosts: readonly string[]): AddressGuard {
  const allowedNames = new Set<string>();
  const allowedIps = new Set<string>();
  for (const entry of allowPrivateHosts) {
    const ip = parseIp(entry.trim());
    if (ip) allowedIps.add(ip.toNormalizedString());
    else allowedNames.add(hostKey(entry.trim()));
  }

  /** Why `ip` may not be reached from `host`, or undefined when it may. */
  function refusal(host: string, ip: ipaddr.IPv4 | ipaddr.IPv6): string | undefined {
    // Only 'unicast' is public: ipaddr.js names every special range (private, loopback, linkLocal,
    // uniqueLocal, carrierGradeNat, multicast, unspecified, broadcast, 6to4, teredo, reserved…).
    const range = ip.range();
    if (range === 'unicast' || allowedIps.has(ip.toNormalizedString())) return undefined;
    const shown = ip.toString();
    const subject = parseIp(host) === undefined ? `${host} resolves to ${shown}, which` : hostKey(host) === shown ? shown : `${host} (${shown})`;
    const words = range.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase(); // linkLocal: link local
    return `${subject} is in the ${words} range, not a public address; list the host in ALLOW_PRIVATE_HOSTS if it is meant to be reached`;
  }

  const nameAllowed = (host: string) => allowedNames.has(hostKey(host));

  return {
    checkUrl(url, { allowCredentialsInUrl }) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new UrlRefused(`only http: and https: URLs are fetched (got ${url.protocol})`);
      }
      if ((url.username || url.password) && !allowCredentialsInUrl) {
        throw new UrlRefused('the URL carries a user name or password; pass allowCredentialsInUrl to send them');
      }
      if (nameAllowed(url.hostname)) return;
      const ip = parseIp(url.hostname);
      if (!ip) return; // a name: checked by lookup when the socket connects
      const why = refusal(url.hostname, ip);
      if (why) throw new AddressRefused(why);
    },

    lookup(hostname, options, callback) {
      // Always ask for every address, so one private answer among public ones is dropped rather than
      // taken or failing the whole name.
      dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, []);
        const permitted = nameAllowed(hostname) ? addresses : addresses.filter((address) => {
          const ip = parseIp(address.address);
          return ip !== undefined && refusal(hostname, ip) === undefined;
        });
        if (permitted.length === 0) {
          const first = addresses[0] && parseIp(addresses[0].address);
          const why = first ? refusal(hostname, first) : undefined;
          return callback(Object.assign(new AddressRefused(why ?? `${hostname} resolves to no address`), { code: 'ERR_ADDRESS_REFUSED' }), []);
        }
        if (options.all) return callback(null, permitted);
        const [chosen] = permitted as [LookupAddress];
        callback(null, chosen.address, chosen.family);
      });
    },
  };
}
