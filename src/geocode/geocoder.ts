// Which geocoder a run uses, at what endpoint and rate: the settings give ops' defaults and ceiling,
// a config's `geocode` section may pick another provider, its own base URL, and a lower rate.
import crypto from 'node:crypto';
import type { Settings } from '../config';
import type { ResolvedConfig } from '../domain/config-params';

export type NetworkProvider = 'google' | 'nominatim';
export type GeocodeProvider = 'gazetteer' | NetworkProvider;

/** One provider endpoint as DESIGN.md's rate rule names it: provider, base URL and key. */
export interface GeocodeEndpoint {
  provider: NetworkProvider;
  baseUrl: string;
  apiKey?: string;
  /** the fleet-wide rate for this endpoint: the settings' ceiling, or the config's when lower */
  ratePerSec: number;
  /** the rate limiter's key: the key itself only as a fingerprint, never in Redis or logs */
  rateKey: string;
}

export type GeocoderChoice =
  | { kind: 'none' }
  | { kind: 'local'; provider: 'gazetteer' }
  | { kind: 'network'; provider: NetworkProvider; endpoint: GeocodeEndpoint };

/** A config asks for what this installation cannot give (a key that is not set): the run says so. */
export class GeocoderUnavailable extends Error {}

const defaultUrls: Record<NetworkProvider, string> = {
  google: 'https://places.googleapis.com',
  nominatim: 'https://nominatim.openstreetmap.org',
};
// The public Nominatim instance allows 1 request a second (its usage policy), whatever ops set.
const publicNominatim = 'nominatim.openstreetmap.org';

export function geocoderFor(settings: Settings, geocode: ResolvedConfig['geocode']): GeocoderChoice {
  const provider = geocode.provider ?? settings.GEOCODER;
  if (provider === 'none') return { kind: 'none' };
  if (provider === 'gazetteer') return { kind: 'local', provider };
  const configured = provider === 'google' ? settings.GOOGLE_PLACES_URL : settings.NOMINATIM_URL;
  const baseUrl = (geocode.base_url ?? configured ?? defaultUrls[provider]).replace(/\/+$/, '');
  let apiKey: string | undefined;
  if (provider === 'google') {
    apiKey = settings.GOOGLE_PLACES_API_KEY;
    if (!apiKey) throw new GeocoderUnavailable('geocode.provider is google but GOOGLE_PLACES_API_KEY is not set: set it, or choose the gazetteer or nominatim');
    // the key is ops', not the config's: it goes only to the endpoint the settings name
    const allowed = (configured ?? defaultUrls.google).replace(/\/+$/, '');
    if (baseUrl !== allowed) {
      throw new GeocoderUnavailable(`geocode.base_url ${baseUrl} is not GOOGLE_PLACES_URL (${allowed}): the Google key is only sent to the endpoint the settings name`);
    }
  }
  let ratePerSec = Math.min(settings.GEOCODE_RATE_PER_SEC, geocode.rate_per_sec ?? Infinity);
  if (provider === 'nominatim' && new URL(baseUrl).hostname === publicNominatim) ratePerSec = Math.min(ratePerSec, 1);
  const keyPrint = apiKey ? crypto.createHash('sha256').update(apiKey).digest('hex').slice(0, 12) : 'nokey';
  return { kind: 'network', provider, endpoint: { provider, baseUrl, apiKey, ratePerSec, rateKey: `geocode:${provider}:${baseUrl}:${keyPrint}` } };
}
