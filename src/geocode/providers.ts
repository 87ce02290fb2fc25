// The network geocoders behind one interface: Google Places API (New) Text Search and Nominatim's
// search, through the project's one HTTP client. Each call is one request: the geocode job's own tries
// (BullMQ, with backoff) are the retries, so every try takes a slot of the fleet-wide rate.
import { z } from 'zod';
import type { Settings } from '../config';
import type { GeocodeAnswer } from '../db/geocode-cache';
import { HttpError, httpClientFromSettings, type HttpClient } from '../http/client';
import type { GeocodeEndpoint } from './geocoder';

export interface NetworkGeocoder {
  geocode(address: string): Promise<GeocodeAnswer>;
}

/**
 * Why a call gave no answer. quota: the provider refused for quota or rate (Google's 429
 * RESOURCE_EXHAUSTED, the legacy API's OVER_QUERY_LIMIT); transient: a timeout, a 5xx, a broken answer,
 * worth another try; refused: no retry changes it (a bad key, a bad request, an address not allowed).
 */
export class GeocodeCallFailed extends Error {
  constructor(message: string, readonly kind: 'quota' | 'transient' | 'refused') {
    super(message);
  }
}

const clients = new Map<string, NetworkGeocoder>();

/** One geocoder per endpoint and process. */
export function networkGeocoder(endpoint: GeocodeEndpoint, settings: Settings): NetworkGeocoder {
  let geocoder = clients.get(endpoint.rateKey);
  if (!geocoder) {
    const http = httpClientFromSettings(settings, { retries: 0, timeoutMs: settings.GEOCODE_TIMEOUT_MS });
    geocoder = endpoint.provider === 'google' ? googlePlaces(endpoint, http) : nominatim(endpoint, http);
    clients.set(endpoint.rateKey, geocoder);
  }
  return geocoder;
}

async function call<T>(provider: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    const message = `${provider}: ${error.message}`;
    if (error.kind === 'retry_after_too_long' || error.status === 429) throw new GeocodeCallFailed(message, 'quota');
    if (error.kind === 'blocked_address' || error.kind === 'invalid_url' || (error.status !== undefined && error.status >= 400 && error.status < 500)) {
      throw new GeocodeCallFailed(message, 'refused');
    }
    throw new GeocodeCallFailed(message, 'transient');
  }
}

// ---------------------------------------------------------------- Google Places API (New)

const googleAnswer = z.object({
  places: z.array(z.object({
    id: z.string(),
    formattedAddress: z.string().optional(),
    location: z.object({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) }),
    types: z.array(z.string()).optional(),
    displayName: z.object({ text: z.string() }).partial().optional(),
  })).optional(),
});

/** How exact Google's place is, from its types. */
function googlePrecision(types: readonly string[] = []): string {
  const has = (...names: string[]) => names.some((name) => types.includes(name));
  if (has('street_address', 'premise', 'subpremise', 'establishment', 'point_of_interest', 'lodging')) return 'rooftop';
  if (has('route', 'intersection')) return 'street';
  if (has('postal_code')) return 'postcode';
  if (has('locality', 'sublocality', 'neighborhood', 'postal_town')) return 'city';
  if (has('administrative_area_level_1', 'administrative_area_level_2', 'country')) return 'region';
  return 'approximate';
}

function googlePlaces(endpoint: GeocodeEndpoint, http: HttpClient): NetworkGeocoder {
  const url = `${endpoint.baseUrl}/v1/places:searchText`;
  return {
    async geocode(address) {
      const answer = await call('Google Places', () => http.postJson(url, { textQuery: address, pageSize: 1 }, {
        idempotent: true, schema: googleAnswer,
        headers: {
          'X-Goog-Api-Key': endpoint.apiKey,
          'X-Goog-FieldMask': 'places.id,places.location,places.formattedAddress,places.types,places.displayName',
        },
      }));
      const place = answer.places?.[0];
      // the New API answers {} where the legacy one said ZERO_RESULTS
      if (!place) return { status: 'not_found' };
      return {
        status: 'found', lat: place.location.latitude, lng: place.location.longitude, precision: googlePrecision(place.types),
        placeId: place.id, placeName: place.displayName?.text ?? place.formattedAddress,
      };
    },
  };
}

// ---------------------------------------------------------------- Nominatim

const coordinate = (min: number, max: number) => z.coerce.number().min(min).max(max);
const nominatimAnswer = z.array(z.object({
  place_id: z.union([z.number(), z.string()]),
  lat: coordinate(-90, 90),
  lon: coordinate(-180, 180),
  display_name: z.string().optional(),
  place_rank: z.number().optional(),
}));

/** How exact Nominatim's place is, from its place_rank (30 a house or POI, 26 a street, 16 a city). */
function nominatimPrecision(rank: number | undefined): string {
  if (rank === undefined) return 'approximate';
  if (rank >= 30) return 'rooftop';
  if (rank >= 26) return 'street';
  if (rank >= 21) return 'approximate';
  if (rank >= 13) return 'city';
  if (rank >= 5) return 'region';
  return 'approximate';
}

function nominatim(endpoint: GeocodeEndpoint, http: HttpClient): NetworkGeocoder {
  const url = `${endpoint.baseUrl}/search`;
  return {
    async geocode(address) {
      const places = await call('Nominatim', () => http.getJson(url, {
        searchParams: { q: address, format: 'jsonv2', limit: 1 }, schema: nominatimAnswer,
      }));
      const place = places[0];
      if (!place) return { status: 'not_found' };
      return {
        status: 'found', lat: place.lat, lng: place.lon, precision: nominatimPrecision(place.place_rank),
        placeId: String(place.place_id), placeName: place.display_name,
      };
    },
  };
}
