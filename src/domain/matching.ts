// The fuzzy-match score of a staged record against one candidate listing (found by SQL near it or
// in its city): a confidence in 0..1 and the evidence a reviewer sees. Pure; the caller applies
// the config's thresholds through classifyMatch.
import { normalize } from './normalize';
import type { ResolvedConfig } from './config-params';
import { toCountryCode } from './country';
import { phoneEvidence, websiteEvidence, type PhoneEvidence, type WebsiteEvidence } from './match-evidence';
import { nameWords, wordsSimilarity, type NameWords } from './match-name';
import { sameStreetAddress } from './street-address';

export { nameKey, nameSimilarity } from './match-name';

export type MatchSubject = {
  name: string | null;
  address1: string | null;
  city: string | null;
  zip: string | null;
  country: string | null;
  lat: number | null;
  lng: number | null;
  /** false for city-level coordinates (the offline gazetteer): they place a city, not a door. */
  precise: boolean;
  phone: string | null;
  website: string | null;
};

export type MatchEvidence = {
  name_similarity: number;
  /** null when either side lacks precise coordinates */
  distance_m: number | null;
  /** true: same number; false: both have one and they differ; null: cannot tell */
  phone: boolean | null;
  /** true: same page or same site; false: different sites; null: missing, or only the host agrees (a chain's branches share it) */
  website: boolean | null;
  /** true: same house on the same street; false: another street or number; null: cannot tell */
  address: boolean | null;
};

export type MatchScore = { confidence: number; evidence: MatchEvidence };

export type MatchThresholds = Pick<ResolvedConfig['stage'], 'auto_match_threshold' | 'review_threshold'>;

/*
 * Weights, in log-odds (the confidence is the logistic of their sum; 0.8 is a sum of 1.39).
 * Evidence comes at two levels: what names the organisation (the name, the website's site or
 * host, a toll-free line) and what names the branch (where it is, its address, its direct line,
 * its own page). Beyond the name, organisation evidence counts once (the largest): a chain's
 * branches share all of it.
 * - prior −2: a candidate the SQL found is usually a neighbour, not the place.
 * - name +2.5 when the keys are equal, −1.5 for every 0.1 below (0.9 → +1, 0.8 → −0.5): the
 *   name alone (+0.5 over the prior) leaves a pair in review, never automatic. When either
 *   lists a toll-free line, or the two are two pages of one site, the name is a brand's and
 *   counts 40%.
 * - distance (both precise) +2 within 50 m, 0 at 600 m, −2 at 2 km, −4 from 5 km: geocoders
 *   and DMOs place one door tens to hundreds of metres apart, and a chain's branches are a few
 *   hundred metres apart, so nearness helps but decides nothing alone.
 * - address: same house +2.5 (with the name, as strong as a phone); another house −2.5 (the
 *   usual sign of a chain's other branch).
 * - phone: same direct line +2.5 (it names one place), differs −2 (places change numbers; a DMO
 *   may list a booking line); a toll-free line against a direct one says nothing.
 * - website: same page +2 (a branch's own page, or an independent's); otherwise organisation
 *   evidence: same site +0.5, same host +0.3, same toll-free line +0.3, the largest of them;
 *   different sites −0.7 (old and new sites are common).
 * - without precise coordinates: same city +0.2 (the SQL found it there: little news), another
 *   −0.5 (a borough is named for its city), centroids more than 30 km apart −3 (another city of
 *   the same name elsewhere).
 * - zip: same +0.4, another −0.5 (postal codes are typed with and without spaces, so normalized).
 * - country: two different countries −4.
 */
const weights = {
  prior: -2,
  nameEqual: 2.5,
  namePerTenth: 1.5,
  nameFloor: -6,
  brandNameShare: 0.4,
  addressSame: 2.5,
  addressOther: -2.5,
  phoneSame: 2.5,
  phoneOther: -2,
  websitePage: 2,
  websiteOther: -0.7,
  organisationSite: 0.5,
  organisationHost: 0.3,
  organisationSharedLine: 0.3,
  citySame: 0.2,
  cityOther: -0.5,
  farCentroids: -3,
  zipSame: 0.4,
  zipOther: -0.5,
  countryOther: -4,
};

/** Log-odds by distance (m), linear between these points, and flat beyond the last. */
const distanceCurve: readonly (readonly [metres: number, weight: number])[] = [
  [0, 2],
  [50, 2],
  [150, 1.4],
  [300, 0.6],
  [600, 0],
  [1000, -0.6],
  [2000, -2],
  [5000, -4],
];
/** City-level coordinates this far apart are two cities. */
const farCentroidsMetres = 30_000;

export function haversineMetres(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const radians = Math.PI / 180;
  const dLat = (lat2 - lat1) * radians;
  const dLng = (lng2 - lng1) * radians;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * radians) * Math.cos(lat2 * radians) * Math.sin(dLng / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

function distanceWeight(metres: number): number {
  let [previousMetres, previousWeight] = distanceCurve[0] ?? [0, 0];
  for (const [pointMetres, pointWeight] of distanceCurve) {
    if (metres <= pointMetres) {
      const span = pointMetres - previousMetres;
      return span === 0 ? pointWeight : previousWeight + ((metres - previousMetres) / span) * (pointWeight - previousWeight);
    }
    [previousMetres, previousWeight] = [pointMetres, pointWeight];
  }
  return previousWeight;
}

function hasCoordinates(subject: MatchSubject): subject is MatchSubject & { lat: number; lng: number } {
  return subject.lat !== null && subject.lng !== null && Number.isFinite(subject.lat) && Number.isFinite(subject.lng);
}

/** Agreement of two optional values: null when either is missing. */
function agree<T>(a: T | null, b: T | null, same: (a: T, b: T) => boolean): boolean | null {
  return a === null || b === null ? null : same(a, b);
}

/** Branch-level weight, organisation-level weight, and whether the two look like one brand's. */
type Agreement = { agrees: boolean | null; branch: number; organisation: number; brand: boolean };

function phoneAgreement(record: PhoneEvidence | null, candidate: PhoneEvidence | null): Agreement {
  if (record === null || candidate === null) return { agrees: null, branch: 0, organisation: 0, brand: false };
  // A toll-free line on either side says the name is a brand's, whatever the other side lists.
  const brand = record.shared || candidate.shared;
  if (record.e164 === candidate.e164) {
    return brand ? { agrees: true, branch: 0, organisation: weights.organisationSharedLine, brand } : { agrees: true, branch: weights.phoneSame, organisation: 0, brand };
  }
  // A toll-free line and a direct one do not contradict: one DMO lists reservations, one the desk.
  if (record.shared !== candidate.shared) return { agrees: null, branch: 0, organisation: 0, brand };
  return { agrees: false, branch: weights.phoneOther, organisation: 0, brand };
}

function websiteAgreement(record: WebsiteEvidence | null, candidate: WebsiteEvidence | null): Agreement {
  if (record === null || candidate === null) return { agrees: null, branch: 0, organisation: 0, brand: false };
  const deep = (key: string) => key.includes('/') || key.includes('?');
  if (record.key === candidate.key) {
    return deep(record.key) ? { agrees: true, branch: weights.websitePage, organisation: 0, brand: false } : { agrees: true, branch: 0, organisation: weights.organisationSite, brand: false };
  }
  if (record.host === candidate.host) {
    // Two different deep pages of one site are two branches' pages; a home page and a deep page
    // are one place's site written two ways.
    return { agrees: null, branch: 0, organisation: weights.organisationHost, brand: deep(record.key) && deep(candidate.key) };
  }
  return { agrees: false, branch: weights.websiteOther, organisation: 0, brand: false };
}

function zipKey(zip: string | null): string | null {
  const key = normalize(zip).replace(/ /g, '');
  return key === '' ? null : key;
}

function placeWeight(record: MatchSubject, candidate: MatchSubject): { distance: number | null; weight: number } {
  const bothCoordinates = hasCoordinates(record) && hasCoordinates(candidate);
  const metres = bothCoordinates ? haversineMetres(record.lat, record.lng, candidate.lat, candidate.lng) : null;
  if (metres !== null && record.precise && candidate.precise) return { distance: Math.round(metres), weight: distanceWeight(metres) };
  let weight = 0;
  if (metres !== null && metres > farCentroidsMetres) weight += weights.farCentroids;
  const sameCity = agree(normalize(record.city) || null, normalize(candidate.city) || null, (a, b) => a === b);
  if (sameCity !== null) weight += sameCity ? weights.citySame : weights.cityOther;
  return { distance: null, weight };
}

/**
 * A side of a comparison with its costly evidence read once (the phone parsed, the website
 * normalized): a staged record meets several candidates, and a listing is often a candidate of
 * several records of one page.
 */
export type PreparedSubject = {
  subject: MatchSubject;
  country: string | null;
  phone: PhoneEvidence | null;
  website: WebsiteEvidence | null;
  zip: string | null;
  name: NameWords;
  city: NameWords;
};

export function prepareSubject(subject: MatchSubject, options: { defaultCountry?: string } = {}): PreparedSubject {
  const country = toCountryCode(subject.country) ?? toCountryCode(options.defaultCountry);
  return {
    subject, country, phone: phoneEvidence(subject.phone, country ?? undefined), website: websiteEvidence(subject.website),
    zip: zipKey(subject.zip), name: nameWords(subject.name), city: nameWords(subject.city),
  };
}

/** The confidence that `record` is the place `candidate` describes, and why. */
export function scoreCandidate(record: MatchSubject, candidate: MatchSubject, options: { defaultCountry?: string } = {}): MatchScore {
  return scorePrepared(prepareSubject(record, options), prepareSubject(candidate, options));
}

/** scoreCandidate of two prepared sides. */
export function scorePrepared(recordSide: PreparedSubject, candidateSide: PreparedSubject): MatchScore {
  const { subject: record } = recordSide;
  const { subject: candidate } = candidateSide;
  const similarity = wordsSimilarity(recordSide.name, candidateSide.name, [recordSide.city, candidateSide.city]);
  const place = placeWeight(record, candidate);
  const address = sameStreetAddress(record.address1, candidate.address1);
  const addressWeight = address === null ? 0 : address ? weights.addressSame : weights.addressOther;

  const phone = phoneAgreement(recordSide.phone, candidateSide.phone);
  const website = websiteAgreement(recordSide.website, candidateSide.website);

  const nameWeight = similarity === 1 ? weights.nameEqual : Math.max(weights.nameFloor, weights.nameEqual - (1 - similarity) * 10 * weights.namePerTenth);
  const brand = phone.brand || website.brand;
  const identityWeight = brand && nameWeight > 0 ? nameWeight * weights.brandNameShare : nameWeight;
  const organisationWeight = Math.max(phone.organisation, website.organisation);

  const zip = agree(recordSide.zip, candidateSide.zip, (a, b) => a === b);
  const zipWeight = zip === null ? 0 : zip ? weights.zipSame : weights.zipOther;
  const countryWeight = recordSide.country !== null && candidateSide.country !== null && recordSide.country !== candidateSide.country ? weights.countryOther : 0;

  const logOdds = weights.prior + identityWeight + organisationWeight + place.weight + addressWeight + phone.branch + website.branch + zipWeight + countryWeight;
  return {
    confidence: round4(1 / (1 + Math.exp(-logOdds))),
    evidence: {
      name_similarity: round4(similarity),
      distance_m: place.distance,
      phone: phone.agrees,
      website: website.agrees,
      address,
    },
  };
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** The one place that turns a confidence into a decision, with the config's thresholds. */
export function classifyMatch(confidence: number, thresholds: MatchThresholds): 'match' | 'possible_match' | 'none' {
  if (confidence >= thresholds.auto_match_threshold) return 'match';
  if (confidence >= thresholds.review_threshold) return 'possible_match';
  return 'none';
}
