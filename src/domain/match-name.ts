// A listing's name as match evidence: "Hotel Le Germain" and "Le Germain Hotel Montreal" are one
// place's name. Only for matching, never hashed (normalize() is the frozen form for identities).
import { ratio, token_set_ratio, token_sort_ratio } from 'fuzzball';
import { normalize } from './normalize';

/** Short forms sources write, read as the long form so both spellings compare equal. */
const abbreviations = new Map(
  Object.entries({
    st: 'saint',
    ste: 'sainte',
    mt: 'mount',
    mtn: 'mountain',
    ft: 'fort',
    pt: 'point',
    intl: 'international',
    natl: 'national',
    ctr: 'centre',
    cntr: 'centre',
    center: 'centre',
    theater: 'theatre',
    bros: 'brothers',
    n: 'and', // "Rock n Roll", "B n B"
  }),
);

/**
 * Words that tell no place from another: articles and joining words in our DMOs' languages, and
 * the lodging words sources add or drop at will ("Le Germain" is "Hotel Le Germain"). Words that
 * say what a place is (café, museum, park) stay: "Café Olimpico" and "Restaurant Olimpico" may be
 * two places, and a dropped one still leaves the rest to agree.
 */
const noIdentity = new Set(
  (
    'the a an of and at on in by ' +
    'le la les l un une de du des d et a au aux en sur ' +
    'der die das dem den und am im zum zur von ' +
    'hotel motel inn resort suites suite municipal international'
  ).split(' '),
);

function words(text: string | null | undefined): string[] {
  return normalize(text?.replace(/&/g, ' and '))
    .split(' ')
    .filter((word) => word !== '')
    .map((word) => abbreviations.get(word) ?? word);
}

/** Removes each locality's words wherever they stand together in the name ("… Hotel Montreal"). */
function withoutLocalities(name: readonly string[], localities: readonly NameWords[]): readonly string[] {
  let rest = name;
  for (const place of localities) {
    if (place.length === 0) continue;
    let at = 0;
    while (at + place.length <= rest.length) {
      if (place.every((word, i) => rest[at + i] === word)) rest = [...rest.slice(0, at), ...rest.slice(at + place.length)];
      else at++;
    }
  }
  return rest;
}

/**
 * A name or a locality read once as words (normalized, short forms expanded), for a side compared
 * with many others: normalizing is most of what comparing names costs.
 */
export type NameWords = readonly string[];
export const nameWords = (text: string | null | undefined): NameWords => words(text);

/**
 * The words of a name that identify the place: normalized, short forms expanded, the locality
 * (the record's city, a borough) and words with no identity dropped. When nothing would be left
 * ("Hotel International", "Montreal" in Montreal) the name keeps what it has.
 */
export function nameKey(name: string | null | undefined, localities: readonly (string | null | undefined)[] = []): string {
  return keyOfWords(words(name), localities.map(words));
}

function keyOfWords(all: NameWords, localities: readonly NameWords[]): string {
  const identity = all.filter((word) => !noIdentity.has(word));
  const local = withoutLocalities(identity, localities);
  if (local.length > 0) return local.join(' ');
  return (identity.length > 0 ? identity : all).join(' ');
}

export type NameContext = { localities?: readonly (string | null | undefined)[] };

/**
 * 0..1 between two names' keys. token_sort_ratio forgives word order ("Saint-Jean Café" vs "Cafe
 * St Jean"), but a typo in a word's first letter moves it in the sort ("Black aWgon"), so plain
 * ratio stands in when it is higher. token_set_ratio forgives an added word ("Musée des
 * beaux-arts" vs "Musée des beaux-arts de Montréal") but scores "Hilton" and "Hilton Garden Inn"
 * 100 too, so it is averaged in: a name inside another is close, not the same. Partial ratios are
 * left out: they find "Inn" inside any name and rate short names against long ones too high.
 */
export function nameSimilarity(a: string | null | undefined, b: string | null | undefined, context: NameContext = {}): number {
  return wordsSimilarity(words(a), words(b), (context.localities ?? []).map(words));
}

/** nameSimilarity of names and localities already read as words. */
export function wordsSimilarity(a: NameWords, b: NameWords, localities: readonly NameWords[]): number {
  const left = keyOfWords(a, localities);
  const right = keyOfWords(b, localities);
  if (left === '' || right === '') return 0;
  if (left === right) return 1;
  const options = { full_process: false };
  const ordered = Math.max(ratio(left, right, options), token_sort_ratio(left, right, options));
  const set = token_set_ratio(left, right, options);
  return Math.max(ordered, (ordered + set) / 2) / 100;
}
