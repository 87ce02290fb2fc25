// A labelled set for the fuzzy matcher: production places, and incoming records that are another
// DMO's version of one of them (truth: its index) or a place production does not have (truth:
// null), among them the look-alikes a matcher must not take: a chain's other branch, a similar
// name a few km away, another business on the same street. Deterministic for a seed.
import type { MatchSubject } from '../../src/domain/matching';
import { chooseCities, nearestLocality, type BenchCity, type BenchCountry } from './cities';
import {
  addressLine,
  addressVariant,
  chainWebsite,
  houseNumber,
  ownWebsite,
  phoneNumber,
  phoneWritten,
  postalCode,
  postalCodeVariant,
  randomStreet,
  tollFreeNumber,
  websiteVariant,
  type Street,
} from './contacts';
import { chains, kindWeights, lookalikeName, nameVariant, placeKinds, placeName, type Chain, type PlaceKind } from './place-names';
import { seededRandom, type Random } from './random';

export type Place = MatchSubject & { kind: PlaceKind; chain: string | null; cityIndex: number; street: Street | null; number: number };
export type Incoming = MatchSubject & {
  /** index in production of the place this record is, or null when production has no such place */
  truth: number | null;
  /** the DMO's country: phones written without a country code are read in it */
  dmoCountry: string;
  /** how the record was made, for reading a wrong match */
  story: string[];
};
export type LabelledSet = { production: Place[]; incoming: Incoming[] };

/** Share of incoming records with no true pair: the issue asks for 25–35%. */
const unpairedShare = 0.3;
/** Share of production places another DMO also lists. */
const pairedShare = 0.7;

export function labelledSet(options: { places: number; seed: number }): LabelledSet {
  const random = seededRandom(options.seed);
  const cities = chooseCities(random);
  const production = productionPlaces(random, cities, options.places);
  const incoming: Incoming[] = [];
  const paired = shuffled(random, production.map((_, index) => index)).slice(0, Math.round(production.length * pairedShare));
  for (const index of paired) incoming.push(trueVariant(random, production, index, cities));
  const unpaired = Math.round((paired.length * unpairedShare) / (1 - unpairedShare));
  for (let i = 0; i < unpaired; i++) incoming.push(newPlaceRecord(random, production, cities));
  return { production, incoming: shuffled(random, incoming) };
}

function shuffled<T>(random: Random, items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

function weightedKind(random: Random): PlaceKind {
  let roll = random.next();
  for (const kind of placeKinds) {
    roll -= kindWeights[kind];
    if (roll < 0) return kind;
  }
  return 'restaurant';
}

/** A point in the city, most places downtown as in real tourism data. */
function pointIn(random: Random, city: BenchCity): { lat: number; lng: number } {
  const radius = city.radiusM * Math.sqrt(random.next()) * (random.chance(0.6) ? 0.35 : 1);
  return random.moved(city.lat, city.lng, radius);
}

/** A chain's one reservations line in a country, the same on every branch that lists it. */
function centralLine(chain: Chain, country: BenchCountry): string {
  let seed = 0;
  for (const char of `${chain.name}|${country}`) seed = (Math.imul(seed, 31) + char.charCodeAt(0)) >>> 0;
  return tollFreeNumber(seededRandom(seed), country);
}

type PlaceDraft = { name: string; kind: PlaceKind; chain: Chain | null; at: { lat: number; lng: number }; street?: Street; number?: number };

function makePlace(random: Random, cities: BenchCity[], cityIndex: number, draft: PlaceDraft): Place {
  const city = cities[cityIndex] as BenchCity;
  const country = city.country as BenchCountry;
  const outdoor = draft.kind === 'park';
  const street = draft.street ?? randomStreet(random, city);
  const number = draft.number ?? houseNumber(random, country);
  const hasAddress = draft.street !== undefined || random.chance(outdoor ? 0.4 : 0.97);
  const branch = random.int(100, 999);
  const phone = draft.chain?.sharedLine && random.chance(0.5) ? centralLine(draft.chain, country) : random.chance(outdoor ? 0.2 : 0.85) ? phoneNumber(random, country, cityIndex) : null;
  const website = draft.chain ? chainWebsite(random, draft.chain.site, city.name, branch) : random.chance(outdoor ? 0.3 : 0.7) ? ownWebsite(random, draft.name, country) : null;
  return {
    name: draft.name,
    address1: hasAddress ? addressLine(street, number) : null,
    city: city.name,
    zip: random.chance(0.85) ? postalCode(random, city, cityIndex) : null,
    country,
    ...draft.at,
    precise: true,
    phone,
    website,
    kind: draft.kind,
    chain: draft.chain?.name ?? null,
    cityIndex,
    street: hasAddress ? street : null,
    number,
  };
}

/** Production: independent places, chains with branches, look-alikes and same-street neighbours. */
function productionPlaces(random: Random, cities: BenchCity[], count: number): Place[] {
  const weights = cities.map((city) => Math.sqrt(city.population));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const places: Place[] = [];
  const byCity: number[][] = cities.map(() => []);
  const add = (cityIndex: number, draft: PlaceDraft) => {
    byCity[cityIndex]?.push(places.length);
    places.push(makePlace(random, cities, cityIndex, draft));
  };
  while (places.length < count) {
    let roll = random.next() * total;
    const cityIndex = Math.max(0, weights.findIndex((weight) => (roll -= weight) < 0));
    const city = cities[cityIndex] as BenchCity;
    const local = byCity[cityIndex] ?? [];
    const earlier = local.length > 0 ? (places[random.pick(local)] as Place) : null;
    const draw = random.next();
    const countryChains = chains.filter((chain) => chain.countries.includes(city.country as BenchCountry));
    if (draw < 0.15 && countryChains.length > 0) {
      const chain = random.pick(countryChains);
      add(cityIndex, { name: chain.name, kind: chain.kind, chain, at: pointIn(random, city) });
    } else if (draw < 0.23 && earlier !== null && earlier.chain === null) {
      add(cityIndex, { name: lookalikeName(random, earlier.name ?? ''), kind: earlier.kind, chain: null, at: random.moved(earlier.lat ?? 0, earlier.lng ?? 0, random.int(1_000, 4_000)) });
    } else if (draw < 0.31 && earlier !== null && earlier.street !== null) {
      const kind = weightedKind(random);
      const number = earlier.number + random.pick([-1, 1]) * random.int(2, 60);
      add(cityIndex, { name: placeName(random, kind, city.country as BenchCountry, city.adminCode, city.name), kind, chain: null, at: random.moved(earlier.lat ?? 0, earlier.lng ?? 0, random.int(30, 250)), street: earlier.street, number: Math.max(1, number) });
    } else {
      const kind = weightedKind(random);
      add(cityIndex, { name: placeName(random, kind, city.country as BenchCountry, city.adminCode, city.name), kind, chain: null, at: pointIn(random, city) });
    }
  }
  return places;
}

/** How far another DMO puts the same door: mostly tens of metres, sometimes up to ~800 m. */
function movedMetres(random: Random): number {
  const roll = random.next();
  if (roll < 0.55) return random.int(0, 60);
  if (roll < 0.8) return random.int(60, 250);
  if (roll < 0.95) return random.int(250, 600);
  return random.int(600, 800);
}

const countrySpellings: Record<BenchCountry, string[]> = {
  CA: ['CA', 'Canada', 'CAN'],
  US: ['US', 'USA', 'United States', 'U.S.A.'],
  FR: ['FR', 'France', 'FRA'],
  GB: ['GB', 'UK', 'United Kingdom', 'England'],
  DE: ['DE', 'Deutschland', 'Germany', 'DEU', 'Allemagne'],
};

/** A record's position as another DMO has it: moved, at the city's centroid, or none. */
function incomingPosition(random: Random, city: BenchCity, at: { lat: number; lng: number }, story: string[]): Pick<MatchSubject, 'lat' | 'lng' | 'precise'> {
  const roll = random.next();
  if (roll < 0.06) {
    story.push('no coordinates');
    return { lat: null, lng: null, precise: false };
  }
  if (roll < 0.12) {
    story.push('city centroid (gazetteer)');
    return { lat: city.lat, lng: city.lng, precise: false };
  }
  const metres = movedMetres(random);
  story.push(`moved ${metres} m`);
  return { ...random.moved(at.lat, at.lng, metres), precise: true };
}

function trueVariant(random: Random, production: Place[], index: number, cities: BenchCity[]): Incoming {
  const place = production[index] as Place;
  const city = cities[place.cityIndex] as BenchCity;
  const country = city.country as BenchCountry;
  const story: string[] = [];
  const named = nameVariant(random, place.name ?? '', place.kind, city.name, place.chain !== null);
  story.push(...named.edits);
  const position = incomingPosition(random, city, { lat: place.lat ?? city.lat, lng: place.lng ?? city.lng }, story);
  let cityName = city.name;
  const other = position.precise ? nearestLocality(city, { lat: place.lat ?? city.lat, lng: place.lng ?? city.lng }) : null;
  if (other !== null && random.chance(0.15)) {
    cityName = other.name;
    story.push(`locality ${other.name}`);
  } else if (random.chance(0.2)) {
    cityName = cityName.normalize('NFD').replace(/\p{M}/gu, '');
  }
  let address = place.address1;
  if (place.street !== null) {
    const roll = random.next();
    if (roll < 0.6) address = addressVariant(random, place.street, place.number);
    else if (roll < 0.64) {
      address = null;
      story.push('no address');
    }
  }
  let phone = place.phone;
  if (phone !== null) {
    const roll = random.next();
    if (roll < 0.2) {
      phone = null;
      story.push('no phone');
    } else if (roll < 0.24) {
      // a DMO that lists the booking office's number, or an old one
      phone = phoneWritten(random, phoneNumber(random, country, place.cityIndex));
      story.push('another phone');
    } else if (roll < 0.9) phone = phoneWritten(random, phone);
  }
  let website = place.website;
  if (website !== null) {
    const roll = random.next();
    if (roll < 0.25) {
      website = null;
      story.push('no website');
    } else if (roll < 0.3) {
      website = websiteVariant(random, website.replace(/^(https?:\/\/[^/]+).*$/, '$1/'));
      story.push('home page');
    } else if (roll < 0.8) website = websiteVariant(random, website);
  }
  return {
    name: named.name,
    address1: address,
    city: cityName,
    zip: place.zip !== null && random.chance(0.6) ? postalCodeVariant(random, place.zip) : null,
    country: random.chance(0.9) ? random.pick(countrySpellings[country]) : null,
    ...position,
    phone,
    website,
    truth: index,
    dmoCountry: country,
    story,
  };
}

/** A record of a place production lacks, often one that looks like a place it has. */
function newPlaceRecord(random: Random, production: Place[], cities: BenchCity[]): Incoming {
  const near = production[random.int(0, production.length - 1)] as Place;
  const city = cities[near.cityIndex] as BenchCity;
  const country = city.country as BenchCountry;
  const nearAt = { lat: near.lat ?? city.lat, lng: near.lng ?? city.lng };
  const story: string[] = [];
  let draft: PlaceDraft;
  const roll = random.next();
  const countryChains = chains.filter((chain) => chain.countries.includes(country));
  if (roll < 0.25 && countryChains.length > 0) {
    const chain = near.chain !== null ? (chains.find((c) => c.name === near.chain) as Chain) : random.pick(countryChains);
    draft = { name: chain.name, kind: chain.kind, chain, at: random.moved(nearAt.lat, nearAt.lng, random.int(200, 3_000)) };
    story.push("a chain's other branch");
  } else if (roll < 0.5 && near.chain === null) {
    draft = { name: lookalikeName(random, near.name ?? ''), kind: near.kind, chain: null, at: random.moved(nearAt.lat, nearAt.lng, random.int(800, 4_000)) };
    story.push(`look-alike of ${near.name}`);
  } else if (roll < 0.7 && near.street !== null) {
    const kind = weightedKind(random);
    const number = Math.max(1, near.number + random.pick([-1, 1]) * random.int(2, 60));
    draft = { name: placeName(random, kind, country, city.adminCode, city.name), kind, chain: null, at: random.moved(nearAt.lat, nearAt.lng, random.int(30, 300)), street: near.street, number };
    story.push(`same street as ${near.name}`);
  } else {
    const kind = weightedKind(random);
    draft = { name: placeName(random, kind, country, city.adminCode, city.name), kind, chain: null, at: pointIn(random, city) };
    story.push('a new place');
  }
  const place = makePlace(random, cities, near.cityIndex, draft);
  const position = incomingPosition(random, city, draft.at, story);
  return {
    name: place.name,
    address1: place.address1,
    city: place.city,
    zip: place.zip,
    country: random.chance(0.9) ? random.pick(countrySpellings[country]) : null,
    ...position,
    phone: place.phone === null ? null : phoneWritten(random, place.phone),
    website: place.website === null ? null : websiteVariant(random, place.website),
    truth: null,
    dmoCountry: country,
    story,
  };
}
