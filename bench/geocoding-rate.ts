// Geocoding at a configured rate (issue 9): listings without coordinates, each at its own address,
// geocoded by a local fake Nominatim (test/fixtures/geocode-providers.ts) that a source's config asks
// for at `ratePerSec`, below ops' ceiling; then the same file again, which the cache answers. What the
// provider saw (arrival times) and what the product counted (pipeline.provider_usage) are reported.
import path from 'node:path';
import { achievedRate, FakeNominatim, maxInAnyWindow, type FakePlace } from '../test/fixtures/geocode-providers';
import type { BenchEnvironment } from './environment';
import { writeCsv } from './listings-csv';
import { createCsvSource, timeCsvRun, type RunTiming } from './pipeline-run';

export interface GeocodingRun {
  run: RunTiming;
  /** requests that reached the provider during the run */
  providerRequests: number;
  /** what pipeline.provider_usage counted for the run */
  calls: number;
  cacheHits: number;
  /** first to last request at the provider */
  spanMs: number;
  achievedPerSec: number;
  /** the most requests the provider saw in any one second */
  busiestSecond: number;
}

export interface GeocodingResult {
  addresses: number;
  ratePerSec: number;
  first: GeocodingRun;
  again: GeocodingRun;
}

export const geocodedAddresses = 300;
export const geocodeRatePerSec = 10;

const columns = ['ID', 'Name', 'Address', 'City', 'Country'];
const mapping = { 'listings.name': 'Name', 'locations.address1': 'Address', 'locations.city': 'City', 'locations.country': 'Country' };
const streets = ['Water Street', 'Barrington Street', 'Spring Garden Road', 'Quinpool Road'];

/** Row n: its own house number, so every address is a distinct lookup. */
const rowValues = (n: number) => [`G${n}`, `Harbour Stop ${n}`, `${n} ${streets[n % streets.length]}`, 'Halifax', 'CA'];

/** Every query is found, at a point of its own near Halifax (the answer's content is not what is measured). */
function placeFor(query: string): FakePlace {
  let hash = 0;
  for (const char of query) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  return { lat: 44.6 + (hash % 1_000) / 20_000, lng: -63.6 + ((hash >>> 10) % 1_000) / 20_000, kind: 'address' };
}

async function usage(env: BenchEnvironment, dmoId: number): Promise<{ calls: number; cacheHits: number }> {
  const { rows } = await env.ctx.db.query<{ calls: number; cache_hits: number }>(
    `SELECT coalesce(sum(calls), 0)::int AS calls, coalesce(sum(cache_hits), 0)::int AS cache_hits
       FROM pipeline.provider_usage WHERE provider = 'nominatim' AND dmo_id = $1`,
    [dmoId],
  );
  return { calls: rows[0]!.calls, cacheHits: rows[0]!.cache_hits };
}

export async function benchGeocoding(env: BenchEnvironment, timeoutMs: number): Promise<GeocodingResult> {
  const file = path.join(env.csvDir, `geocode-${geocodedAddresses}.csv`);
  await writeCsv(file, columns, geocodedAddresses, rowValues);
  const fake = await FakeNominatim.start({ resolve: placeFor });
  try {
    const { dmoId, configId } = await createCsvSource(env.api, 'Bench geocoding', {
      import: { source_id_column: 'ID' },
      transform: { map_fields: mapping },
      geocode: { provider: 'nominatim', base_url: fake.url, rate_per_sec: geocodeRatePerSec },
    });
    const timedRun = async (): Promise<GeocodingRun> => {
      const before = await usage(env, dmoId);
      const seen = fake.requests.length;
      const run = await timeCsvRun(env.api, env.ctx, configId, file, timeoutMs);
      const after = await usage(env, dmoId);
      const arrivals = fake.requests.slice(seen).map((request) => request.at);
      return {
        run,
        providerRequests: arrivals.length,
        calls: after.calls - before.calls,
        cacheHits: after.cacheHits - before.cacheHits,
        spanMs: arrivals.length ? Math.max(...arrivals) - Math.min(...arrivals) : 0,
        achievedPerSec: achievedRate(arrivals),
        busiestSecond: maxInAnyWindow(arrivals),
      };
    };
    const first = await timedRun();
    const again = await timedRun();
    return { addresses: geocodedAddresses, ratePerSec: geocodeRatePerSec, first, again };
  } finally {
    await fake.close();
  }
}

/** What the issue asks of these figures; each broken one is a sentence. */
export function geocodingProblems(result: GeocodingResult): string[] {
  const problems: string[] = [];
  const { first, again, addresses, ratePerSec } = result;
  if (first.providerRequests !== addresses) problems.push(`the first import made ${first.providerRequests} requests for ${addresses} addresses`);
  if (first.busiestSecond > ratePerSec) problems.push(`the provider saw ${first.busiestSecond} requests in one second at a limit of ${ratePerSec}/s`);
  if (again.providerRequests !== 0) problems.push(`the re-import made ${again.providerRequests} requests; the cache should answer all`);
  if (again.cacheHits !== addresses) problems.push(`the re-import counted ${again.cacheHits} cache hits for ${addresses} addresses`);
  return problems;
}
