// locations.country holds ISO 3166-1 alpha-2. Sources write codes, alpha-3 codes, English names
// and a few native names; anything else is null, and the caller turns that into a warning rather
// than guessing a country.
import { normalize } from './normalize';

/** Every officially assigned ISO 3166-1 alpha-2 code. */
const alpha2Codes = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS ' +
    'BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE ' +
    'EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM ' +
    'HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC ' +
    'LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA ' +
    'NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
    'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO ' +
    'TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

export function isCountryCode(code: string): boolean {
  return alpha2Codes.has(code);
}

/**
 * [alpha-2, alpha-3, names and variants...] for the countries our sources come from: North
 * America and the Caribbean, the EU, the UK, EFTA, and the main long-haul markets. Names go
 * through normalize(), so accents, case and punctuation need not be listed ("U.S." is "u s").
 */
const knownCountries: readonly (readonly [code: string, ...spellings: string[]])[] = [
  // North America, Central America and the Caribbean
  ['US', 'USA', 'United States', 'United States of America', 'U.S.', 'U.S.A.', 'US of A'],
  ['CA', 'CAN', 'Canada'],
  ['MX', 'MEX', 'Mexico', 'México', 'Estados Unidos Mexicanos', 'United Mexican States'],
  ['GL', 'GRL', 'Greenland', 'Kalaallit Nunaat'],
  ['BM', 'BMU', 'Bermuda'],
  ['PM', 'SPM', 'Saint Pierre and Miquelon', 'St Pierre and Miquelon'],
  ['GT', 'GTM', 'Guatemala'],
  ['BZ', 'BLZ', 'Belize'],
  ['SV', 'SLV', 'El Salvador'],
  ['HN', 'HND', 'Honduras'],
  ['NI', 'NIC', 'Nicaragua'],
  ['CR', 'CRI', 'Costa Rica'],
  ['PA', 'PAN', 'Panama', 'Panamá'],
  ['CU', 'CUB', 'Cuba'],
  ['JM', 'JAM', 'Jamaica'],
  ['HT', 'HTI', 'Haiti'],
  ['DO', 'DOM', 'Dominican Republic', 'República Dominicana'],
  ['PR', 'PRI', 'Puerto Rico'],
  ['BS', 'BHS', 'Bahamas', 'The Bahamas'],
  ['BB', 'BRB', 'Barbados'],
  ['TT', 'TTO', 'Trinidad and Tobago', 'Trinidad & Tobago'],
  ['AG', 'ATG', 'Antigua and Barbuda', 'Antigua & Barbuda'],
  ['DM', 'DMA', 'Dominica'],
  ['GD', 'GRD', 'Grenada'],
  ['KN', 'KNA', 'Saint Kitts and Nevis', 'St Kitts and Nevis', 'St Kitts & Nevis'],
  ['LC', 'LCA', 'Saint Lucia', 'St Lucia'],
  ['VC', 'VCT', 'Saint Vincent and the Grenadines', 'St Vincent and the Grenadines'],
  ['AI', 'AIA', 'Anguilla'],
  ['AW', 'ABW', 'Aruba'],
  ['CW', 'CUW', 'Curaçao', 'Curacao'],
  ['SX', 'SXM', 'Sint Maarten'],
  ['MF', 'MAF', 'Saint Martin', 'St Martin'],
  ['BL', 'BLM', 'Saint Barthélemy', 'St Barts', 'St Barths', 'Saint Barthelemy'],
  ['BQ', 'BES', 'Bonaire', 'Caribbean Netherlands'],
  ['GP', 'GLP', 'Guadeloupe'],
  ['MQ', 'MTQ', 'Martinique'],
  ['MS', 'MSR', 'Montserrat'],
  ['KY', 'CYM', 'Cayman Islands', 'The Cayman Islands'],
  ['TC', 'TCA', 'Turks and Caicos Islands', 'Turks and Caicos', 'Turks & Caicos'],
  ['VG', 'VGB', 'British Virgin Islands', 'Virgin Islands British'],
  ['VI', 'VIR', 'US Virgin Islands', 'U.S. Virgin Islands', 'United States Virgin Islands', 'Virgin Islands U.S.'],
  // European Union
  ['AT', 'AUT', 'Austria', 'Österreich'],
  ['BE', 'BEL', 'Belgium', 'Belgique', 'België', 'Belgien'],
  ['BG', 'BGR', 'Bulgaria'],
  ['HR', 'HRV', 'Croatia', 'Hrvatska'],
  ['CY', 'CYP', 'Cyprus'],
  ['CZ', 'CZE', 'Czechia', 'Czech Republic', 'Česko', 'Česká republika'],
  ['DK', 'DNK', 'Denmark', 'Danmark'],
  ['EE', 'EST', 'Estonia', 'Eesti'],
  ['FI', 'FIN', 'Finland', 'Suomi'],
  ['FR', 'FRA', 'France'],
  ['DE', 'DEU', 'Germany', 'Deutschland', 'Federal Republic of Germany'],
  ['GR', 'GRC', 'Greece', 'Hellas', 'Ελλάδα'],
  ['HU', 'HUN', 'Hungary', 'Magyarország'],
  ['IE', 'IRL', 'Ireland', 'Republic of Ireland', 'Éire', 'Eire'],
  ['IT', 'ITA', 'Italy', 'Italia'],
  ['LV', 'LVA', 'Latvia', 'Latvija'],
  ['LT', 'LTU', 'Lithuania', 'Lietuva'],
  ['LU', 'LUX', 'Luxembourg', 'Luxemburg'],
  ['MT', 'MLT', 'Malta'],
  ['NL', 'NLD', 'Netherlands', 'The Netherlands', 'Holland', 'Nederland'],
  ['PL', 'POL', 'Poland', 'Polska'],
  ['PT', 'PRT', 'Portugal'],
  ['RO', 'ROU', 'Romania', 'România'],
  ['SK', 'SVK', 'Slovakia', 'Slovak Republic', 'Slovensko'],
  ['SI', 'SVN', 'Slovenia', 'Slovenija'],
  ['ES', 'ESP', 'Spain', 'España'],
  ['SE', 'SWE', 'Sweden', 'Sverige'],
  // The UK (ISO has one code for it; 'UK' is reserved for it) and EFTA
  [
    'GB',
    'GBR',
    'United Kingdom',
    'United Kingdom of Great Britain and Northern Ireland',
    'UK',
    'U.K.',
    'Great Britain',
    'Britain',
    'England',
    'Scotland',
    'Wales',
    'Northern Ireland',
  ],
  ['NO', 'NOR', 'Norway', 'Norge', 'Noreg'],
  ['CH', 'CHE', 'Switzerland', 'Schweiz', 'Suisse', 'Svizzera', 'Svizra'],
  ['IS', 'ISL', 'Iceland', 'Ísland'],
  ['LI', 'LIE', 'Liechtenstein'],
  // Other markets
  ['AU', 'AUS', 'Australia'],
  ['NZ', 'NZL', 'New Zealand', 'Aotearoa'],
  ['JP', 'JPN', 'Japan', 'Nippon', 'Nihon', '日本'],
  ['CN', 'CHN', 'China', "People's Republic of China", 'PRC', '中国'],
  ['IN', 'IND', 'India', 'Bharat'],
  ['BR', 'BRA', 'Brazil', 'Brasil'],
  ['AR', 'ARG', 'Argentina'],
  ['CL', 'CHL', 'Chile'],
  ['CO', 'COL', 'Colombia'],
  ['PE', 'PER', 'Peru', 'Perú'],
  ['ZA', 'ZAF', 'South Africa'],
  ['MA', 'MAR', 'Morocco'],
  ['EG', 'EGY', 'Egypt'],
  ['TR', 'TUR', 'Turkey', 'Türkiye'],
  ['AE', 'ARE', 'United Arab Emirates', 'UAE'],
  ['IL', 'ISR', 'Israel'],
  ['TH', 'THA', 'Thailand'],
  ['VN', 'VNM', 'Vietnam', 'Viet Nam'],
  ['SG', 'SGP', 'Singapore'],
  ['MY', 'MYS', 'Malaysia'],
  ['ID', 'IDN', 'Indonesia'],
  ['PH', 'PHL', 'Philippines', 'The Philippines'],
  ['KR', 'KOR', 'South Korea', 'Republic of Korea'],
  ['HK', 'HKG', 'Hong Kong'],
  ['TW', 'TWN', 'Taiwan'],
  ['MC', 'MCO', 'Monaco'],
  ['AD', 'AND', 'Andorra'],
  ['SM', 'SMR', 'San Marino'],
  ['VA', 'VAT', 'Vatican City', 'Holy See', 'Vatican'],
  ['ME', 'MNE', 'Montenegro'],
  ['RS', 'SRB', 'Serbia'],
  ['AL', 'ALB', 'Albania'],
  ['BA', 'BIH', 'Bosnia and Herzegovina', 'Bosnia & Herzegovina'],
  ['MK', 'MKD', 'North Macedonia'],
  ['UA', 'UKR', 'Ukraine'],
];

/** normalize()d spelling → alpha-2. */
const countryByName = buildCountryIndex();

function buildCountryIndex(): Map<string, string> {
  const index = new Map<string, string>();
  // English names of every other code, from the runtime's CLDR data: breadth for rarer countries.
  // The table above is added after it, so our spellings win where the two disagree.
  const englishNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  for (const code of alpha2Codes) {
    const name = englishNames.of(code);
    if (name !== undefined) index.set(normalize(name), code);
  }
  for (const [code, ...spellings] of knownCountries) {
    for (const spelling of spellings) index.set(normalize(spelling), code);
  }
  return index;
}

/** ISO 3166-1 alpha-2 for a code, alpha-3 code or name the source wrote; null when unknown. */
export function toCountryCode(value: string | null | undefined): string | null {
  const key = normalize(value);
  if (key === '') return null;
  const named = countryByName.get(key);
  if (named !== undefined) return named;
  const code = key.toUpperCase();
  return /^[A-Z]{2}$/.test(code) && alpha2Codes.has(code) ? code : null;
}
