// Normal forms of contact fields used ONLY as match evidence: two records with the same phone or
// website are likely one place. Never hashed or stored as the source's value (DESIGN "Hashes":
// comparison hashes cover what the source delivered).
import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import normalizeUrl from 'normalize-url';

/**
 * E.164 ("+15148492050") of a phone as a source wrote it; null when it is not a valid number.
 * `defaultCountry` (ISO alpha-2, the DMO's country) reads numbers written without a country code.
 * Extensions are dropped: a hotel's desk and its extension 12 are one place. The max metadata
 * checks number ranges, not only lengths, so "555-0100" style fillers are not evidence.
 */
export function phoneE164(raw: string | null | undefined, defaultCountry?: string): string | null {
  return phoneEvidence(raw, defaultCountry)?.e164 ?? null;
}

/** A phone as match evidence: its E.164 and whether many places share the line (sharedLineTypes). */
export type PhoneEvidence = { e164: string; shared: boolean };

/** E.164 and line type from one parse: parsing with the max metadata is the costly part. */
export function phoneEvidence(raw: string | null | undefined, defaultCountry?: string): PhoneEvidence | null {
  if (raw === null || raw === undefined || raw.trim() === '') return null;
  const upper = defaultCountry?.toUpperCase();
  const country = upper !== undefined && isSupportedCountry(upper) ? upper : undefined;
  // Without a region only "+<country code> …" can be read: the library would throw and catch an
  // error for every such number, the most costly part of scoring a run whose records lack a country.
  if (country === undefined && !raw.includes('+')) return null;
  const phone = parsePhoneNumberFromString(raw, country);
  return phone?.isValid() ? { e164: phone.number, shared: sharedLineTypes.has(phone.getType() ?? '') } : null;
}

/** Query parameters that say how a visitor came, not which page they see. */
const trackingParameters = [
  /^utm_/i,
  /^(fbclid|gclid|gbraid|wbraid|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|_gl|ref|ref_src|referrer|source)$/i,
];

/** Host and path of a website, or null when the text is no web address ("n/a", an email). */
function parseWebsite(raw: string | null | undefined): URL | null {
  const text = raw?.trim() ?? '';
  if (text === '' || /\s/.test(text) || (/@/.test(text) && !/^https?:\/\//i.test(text))) return null;
  let url: URL;
  try {
    url = new URL(
      normalizeUrl(text, {
        defaultProtocol: 'https',
        stripWWW: true,
        stripHash: true,
        removeQueryParameters: trackingParameters,
        removeTrailingSlash: true,
        sortQueryParameters: true,
      }),
    );
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // A host needs a top-level domain of letters ("example.com"), or is an IPv4 address.
  const host = url.hostname;
  if (!/^([a-z0-9-]+\.)+[a-z][a-z0-9-]*[a-z0-9]$/.test(host) && !/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return null;
  return url;
}

/**
 * The page a website points to, without what does not change the page: scheme, `www.`, default
 * port, trailing slash, fragment, tracking parameters; query sorted. "example.com/a?b=1".
 */
function keyOf(url: URL): string {
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return `${url.host}${path}${url.search}`;
}

/** Second-level labels under which names are registered ("co.uk", "qc.ca"), so the site is one more. */
const registrySecondLevels = new Set(['co', 'com', 'org', 'net', 'gov', 'gouv', 'ac', 'edu', 'ltd', 'plc', 'me', 'nhs', 'qc', 'on', 'bc', 'ab', 'mb', 'ns', 'nb', 'gc']);

/**
 * The registrable host of a website without `www.` ("hilton.com" for "www3.hilton.com/x"):
 * branches of a chain share it, so it is weaker evidence than the same page. An approximation of
 * the public-suffix rules that covers the countries our DMOs are in.
 */
function hostOf(url: URL): string {
  const labels = url.hostname.split('.');
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return url.hostname;
  const secondLevel = labels[labels.length - 2] ?? '';
  const keep = labels.length >= 3 && (labels[labels.length - 1] ?? '').length === 2 && registrySecondLevels.has(secondLevel) ? 3 : 2;
  return labels.slice(-keep).join('.');
}

/**
 * The number types of a line many places share (toll-free, shared-cost, universal access): a
 * chain's central reservations number names the chain, not the branch.
 */
const sharedLineTypes = new Set<string>(['TOLL_FREE', 'SHARED_COST', 'UAN', 'PREMIUM_RATE']);

/** A website as match evidence: its page and its registrable host, from one parse. */
export type WebsiteEvidence = { key: string; host: string };

export function websiteEvidence(raw: string | null | undefined): WebsiteEvidence | null {
  const url = parseWebsite(raw);
  return url === null ? null : { key: keyOf(url), host: hostOf(url) };
}
