import { isCountryCode, toCountryCode } from './country';

describe('toCountryCode', () => {
  test.each<[string | null | undefined, string | null]>([
    // alpha-2, any case
    ['CA', 'CA'],
    ['ca', 'CA'],
    [' fr ', 'FR'],
    // alpha-3
    ['USA', 'US'],
    ['deu', 'DE'],
    ['GBR', 'GB'],
    ['CHE', 'CH'],
    // English names and common variants
    ['United States', 'US'],
    ['United States of America', 'US'],
    ['U.S.', 'US'],
    ['U.S.A.', 'US'],
    ['united states', 'US'],
    ['Canada', 'CA'],
    ['Mexico', 'MX'],
    ['México', 'MX'],
    ['UK', 'GB'],
    ['U.K.', 'GB'],
    ['United Kingdom', 'GB'],
    ['Great Britain', 'GB'],
    ['Scotland', 'GB'],
    ['Deutschland', 'DE'],
    ['Germany', 'DE'],
    ['The Netherlands', 'NL'],
    ['Holland', 'NL'],
    ['Czech Republic', 'CZ'],
    ['Czechia', 'CZ'],
    ['Österreich', 'AT'],
    ['España', 'ES'],
    ['Norway', 'NO'],
    ['Switzerland', 'CH'],
    ['Iceland', 'IS'],
    ['Ireland', 'IE'],
    ['Australia', 'AU'],
    ['New Zealand', 'NZ'],
    ['Japan', 'JP'],
    ['China', 'CN'],
    ['India', 'IN'],
    ['Brazil', 'BR'],
    ['Brasil', 'BR'],
    ['Costa Rica', 'CR'],
    ['Jamaica', 'JM'],
    ['Dominican Republic', 'DO'],
    ['Puerto Rico', 'PR'],
    ['Greenland', 'GL'],
    ['Turks & Caicos', 'TC'],
    ['Trinidad and Tobago', 'TT'],
    ['St. Lucia', 'LC'],
    // a rarer country, by its English name from the runtime's CLDR data
    ['Kenya', 'KE'],
    // unknown: the caller warns
    ['Atlantis', null],
    ['XX', null],
    ['America', null],
    ['', null],
    ['  ', null],
    [null, null],
    [undefined, null],
  ])('%p → %p', (input, expected) => {
    expect(toCountryCode(input)).toBe(expected);
  });

  test.each([
    'AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE',
    'GB NO CH IS AU NZ JP CN IN BR MX US CA',
  ])('accepts its own codes: %s', (codes) => {
    for (const code of codes.split(' ')) expect(toCountryCode(code)).toBe(code);
  });

  test('knows every ISO 3166-1 alpha-2 code and nothing else', () => {
    expect(isCountryCode('DE')).toBe(true);
    expect(isCountryCode('UK')).toBe(false);
    expect(isCountryCode('de')).toBe(false);
  });
});

describe('toCountryCode with i18n-iso-countries', () => {
  test.each<[string, string | null]>([
    // every locale the library ships is registered
    ['Allemagne', 'DE'],
    ['Deutschland', 'DE'],
    ['Germany', 'DE'],
    ['DEU', 'DE'],
    ['DE', 'DE'],
    ['Alemania', 'DE'],
    ['Германия', 'DE'],
    ['Royaume-Uni', 'GB'],
    ['États-Unis', 'US'],
    ['Vereinigte Staaten', 'US'],
    ['Pays-Bas', 'NL'],
    // any alpha-3 code, not only those of the countries our sources came from
    ['KEN', 'KE'],
    // two letters are a code before they are a name ("Mỹ" is the US in Vietnamese)
    ['MY', 'MY'],
    ['ST', 'ST'],
    // a name two countries share names neither
    ['Congo', null],
    // user-assigned codes are no ISO code
    ['XK', null],
    ['Kosovo', null],
  ])('%p → %p', (input, expected) => {
    expect(toCountryCode(input)).toBe(expected);
  });
});
