// A street address as match evidence: "2050 Rue Mansfield" and "2050 Mansfield St." are one
// address, "2051 Mansfield St" is a neighbour. Only for matching, never hashed.
import { token_sort_ratio } from 'fuzzball';
import { normalize } from './normalize';

/**
 * Words that say what kind of street it is, in the languages of our DMOs, each short form to its
 * long one ("bd" and "blvd" are "boulevard"), so a street named only by types still compares.
 */
const streetTypes = new Map<string, string>();
for (const forms of [
  'street st str',
  'road rd',
  'avenue ave av',
  'boulevard blvd bd bvd boul',
  'drive dr',
  'lane ln',
  'way',
  'court ct',
  'crescent cres',
  'place pl',
  'square sq',
  'terrace terr',
  'parkway pkwy',
  'highway hwy',
  'route rte',
  'circle cir',
  'trail',
  'rue r',
  'chemin ch',
  'allee',
  'impasse imp',
  'quai',
  'cours',
  'voie',
  'sentier',
  'promenade prom',
  'rang',
  'montee',
  'cote',
  'strasse',
  'weg',
  'platz',
  'gasse',
  'ring',
  'damm',
  'ufer',
  'chaussee',
]) {
  const [long, ...short] = forms.split(' ') as [string, ...string[]];
  for (const form of [long, ...short]) streetTypes.set(form, long);
}
/** Words with no identity in a street name (articles, directions, "saint" written many ways, units). */
const streetFillers = new Set(
  (
    'the of de du des la le les l d a au aux der die das am an im zum zur n s e w north south east west nord sud est ouest ' +
    'saint sainte ste suite unit apt floor fl bureau local etage app'
  ).split(' '),
);
/** German writes the type as a suffix: "Hauptstraße", "Hauptstr.", "Lindenweg". */
const germanTypeSuffix = /(strasse|str|weg|platz|gasse|allee|ring|damm)$/;

export type StreetAddressKey = { number: string | null; street: string };

/** House number and the street's distinctive words; null when the address names no street. */
export function streetAddressKey(address1: string | null | undefined): StreetAddressKey | null {
  const words = normalize(address1?.replace(/ß/g, 'ss')).split(' ').filter((word) => word !== '');
  // The first number is the house's (DE writes it last, "Hauptstraße 12": still the first one).
  const number = words.find((word) => /^\d/.test(word))?.replace(/\D.*$/, '') ?? null;
  const named = words.filter((word) => !/^\d/.test(word) && !streetFillers.has(word));
  const distinctive = named.filter((word) => !streetTypes.has(word)).map((word) => (word.length > 6 ? word.replace(germanTypeSuffix, '') : word));
  // "Avenue Road" and "Boulevard Crescent" are all type words: then they are the name.
  const street = distinctive.length > 0 ? distinctive : named.map((word) => streetTypes.get(word) ?? word);
  return street.length === 0 ? null : { number, street: street.sort().join(' ') };
}

/**
 * true when both name the same house on the same street; false when the street or the number
 * differs; null when a side has no address or no number (a street alone does not place a house).
 */
export function sameStreetAddress(a: string | null | undefined, b: string | null | undefined): boolean | null {
  const left = streetAddressKey(a);
  const right = streetAddressKey(b);
  if (left === null || right === null) return null;
  // 85: a typo or a dropped letter in a long street name; a short one must be spelled the same
  // ("Main" and "Maine" are two streets).
  const shorter = Math.min(left.street.length, right.street.length);
  const sameStreet = left.street === right.street || (shorter >= 6 && token_sort_ratio(left.street, right.street, { full_process: false }) >= 85);
  if (!sameStreet) return false;
  if (left.number === null || right.number === null) return null;
  return left.number === right.number;
}
