// locations.country holds ISO 3166-1 alpha-2. Sources write codes, alpha-3 codes and names in any
// language; anything else is null, and the caller turns that into a warning rather than guessing
// a country. Names come from i18n-iso-countries: its Node entry registers every locale it ships
// (78), so "Allemagne", "Deutschland" and "Germany" are all DE.
import countries from 'i18n-iso-countries';
import { normalize } from './normalize';

/**
 * ISO 3166-1 leaves AA, QM–QZ, XA–XZ and ZZ to users; the library carries one of them (XK,
 * Kosovo), which is no ISO code and so not a value for locations.country.
 */
const userAssigned = /^(AA|Q[M-Z]|X[A-Z]|ZZ)$/;

/** Every officially assigned ISO 3166-1 alpha-2 code. */
const alpha2Codes = new Set(Object.keys(countries.getAlpha2Codes()).filter((code) => !userAssigned.test(code)));

export function isCountryCode(code: string): boolean {
  return alpha2Codes.has(code);
}

/**
 * Names sources write that no locale of the library holds: the UK's nations (ISO has one code
 * for the UK), and old or short forms our sources used before the library.
 */
const spellingsNotInTheLibrary: readonly (readonly [code: string, ...spellings: string[]])[] = [
  ['GB', 'England', 'Scotland', 'Wales', 'Northern Ireland', 'Britain', 'United Kingdom of Great Britain and Northern Ireland'],
  ['US', 'US of A', 'États-Unis'],
  ['VI', 'US Virgin Islands', 'United States Virgin Islands'],
  ['MX', 'Estados Unidos Mexicanos', 'United Mexican States'],
  ['TC', 'Turks and Caicos'],
  ['DE', 'Federal Republic of Germany'],
  ['IE', 'Republic of Ireland'],
  ['SK', 'Slovak Republic'],
  ['CN', 'PRC'],
  ['JP', 'Nippon', 'Nihon'],
  ['IN', 'Bharat'],
  ['NZ', 'Aotearoa'],
  ['GL', 'Kalaallit Nunaat'],
  ['CH', 'Svizra'],
  ['VA', 'Vatican', 'Vatican City'],
  ['BQ', 'Caribbean Netherlands'],
  ['BL', 'St Barts', 'St Barths'],
];

/**
 * The lookup form of a name: normalize(), '&' read as 'and', 'st' as 'saint', a leading 'the'
 * dropped, and dotted initials joined ("U.K." → "uk"), so each spelling need not be listed.
 */
function countryKey(value: string): string {
  const words = normalize(value.replace(/&/g, ' and ')).split(' ').filter((word) => word !== '');
  if (words.length > 1 && words.every((word) => word.length === 1)) return words.join('');
  if (words[0] === 'the' && words.length > 1) words.shift();
  return words.map((word) => (word === 'st' ? 'saint' : word)).join(' ');
}

/** lookup form → alpha-2; a form two countries share ("congo") is left out: it names neither. */
const countryByName = buildCountryIndex();

function buildCountryIndex(): Map<string, string> {
  const codesByKey = new Map<string, Set<string>>();
  const add = (code: string, name: string): void => {
    const key = countryKey(name);
    if (key === '' || !alpha2Codes.has(code)) return;
    const codes = codesByKey.get(key) ?? new Set<string>();
    codes.add(code);
    codesByKey.set(key, codes);
  };
  for (const locale of countries.langs()) {
    for (const [code, names] of Object.entries(countries.getNames(locale, { select: 'all' }))) {
      for (const name of names) add(code, name);
    }
  }
  // The runtime's CLDR English names too: short forms the library lacks ("Falkland Islands").
  const englishNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  for (const code of alpha2Codes) add(code, englishNames.of(code) ?? '');
  for (const [code, ...spellings] of spellingsNotInTheLibrary) for (const spelling of spellings) add(code, spelling);
  const index = new Map<string, string>();
  for (const [key, codes] of codesByKey) {
    const [only] = codes;
    if (codes.size === 1 && only !== undefined) index.set(key, only);
  }
  return index;
}

/**
 * ISO 3166-1 alpha-2 for a code, alpha-3 code or name the source wrote; null when unknown. Two or
 * three plain letters are read as a code first: some locales' names are that short ("Mỹ" is the
 * US in Vietnamese), and a source that writes "MY" means Malaysia.
 */
export function toCountryCode(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const letters = value.trim().toUpperCase();
  if (/^[A-Z]{2}$/.test(letters) && alpha2Codes.has(letters)) return letters;
  if (/^[A-Z]{3}$/.test(letters)) {
    const alpha2 = countries.alpha3ToAlpha2(letters);
    if (alpha2 !== undefined && alpha2Codes.has(alpha2)) return alpha2;
  }
  const key = countryKey(value);
  return key === '' ? null : (countryByName.get(key) ?? null);
}
