// A staged address's state, as sources write it, read as a GeoNames admin1 code. GeoNames codes the
// United States by postal abbreviation ("NY") but Canada by number ("10" is Quebec), so a Quebec
// address's "QC" matches nothing without this table. Other countries: the state is compared with
// the GeoNames code as given ("SG" for St. Gallen, "ENG" for England).
import { normalize } from '../domain/normalize';

/** [GeoNames admin1 code, spellings...]: abbreviations and English and French names. */
const canadianProvinces: readonly (readonly [code: string, ...spellings: string[]])[] = [
  ['01', 'AB', 'Alta', 'Alberta'],
  ['02', 'BC', 'British Columbia', 'Colombie-Britannique', 'CB'],
  ['03', 'MB', 'Man', 'Manitoba'],
  ['04', 'NB', 'New Brunswick', 'Nouveau-Brunswick'],
  ['05', 'NL', 'NF', 'Nfld', 'Newfoundland and Labrador', 'Newfoundland', 'Terre-Neuve-et-Labrador', 'TNL'],
  ['07', 'NS', 'Nova Scotia', 'Nouvelle-Écosse', 'NE'],
  ['08', 'ON', 'Ont', 'Ontario'],
  ['09', 'PE', 'PEI', 'Prince Edward Island', 'Île-du-Prince-Édouard', 'IPE'],
  ['10', 'QC', 'PQ', 'Que', 'Qué', 'Quebec', 'Québec', 'Province de Québec'],
  ['11', 'SK', 'Sask', 'Saskatchewan'],
  ['12', 'YT', 'Yukon', 'Yukon Territory'],
  ['13', 'NT', 'NWT', 'Northwest Territories', 'Territoires du Nord-Ouest', 'TNO'],
  ['14', 'NU', 'Nunavut'],
];

/** [postal abbreviation (= GeoNames admin1 code), name]. */
const unitedStates: readonly (readonly [code: string, name: string])[] = [
  ['AL', 'Alabama'], ['AK', 'Alaska'], ['AZ', 'Arizona'], ['AR', 'Arkansas'], ['CA', 'California'],
  ['CO', 'Colorado'], ['CT', 'Connecticut'], ['DE', 'Delaware'], ['DC', 'District of Columbia'],
  ['FL', 'Florida'], ['GA', 'Georgia'], ['HI', 'Hawaii'], ['ID', 'Idaho'], ['IL', 'Illinois'],
  ['IN', 'Indiana'], ['IA', 'Iowa'], ['KS', 'Kansas'], ['KY', 'Kentucky'], ['LA', 'Louisiana'],
  ['ME', 'Maine'], ['MD', 'Maryland'], ['MA', 'Massachusetts'], ['MI', 'Michigan'], ['MN', 'Minnesota'],
  ['MS', 'Mississippi'], ['MO', 'Missouri'], ['MT', 'Montana'], ['NE', 'Nebraska'], ['NV', 'Nevada'],
  ['NH', 'New Hampshire'], ['NJ', 'New Jersey'], ['NM', 'New Mexico'], ['NY', 'New York'],
  ['NC', 'North Carolina'], ['ND', 'North Dakota'], ['OH', 'Ohio'], ['OK', 'Oklahoma'], ['OR', 'Oregon'],
  ['PA', 'Pennsylvania'], ['RI', 'Rhode Island'], ['SC', 'South Carolina'], ['SD', 'South Dakota'],
  ['TN', 'Tennessee'], ['TX', 'Texas'], ['UT', 'Utah'], ['VT', 'Vermont'], ['VA', 'Virginia'],
  ['WA', 'Washington'], ['WV', 'West Virginia'], ['WI', 'Wisconsin'], ['WY', 'Wyoming'],
];

/** "B.C.", "b c" and "BC" are one spelling; so are "Nouvelle-Écosse" and "nouvelle ecosse". */
function spellingKey(text: string): string {
  return normalize(text).replaceAll(' ', '');
}

function tableOf(rows: readonly (readonly string[])[]): Map<string, string> {
  const byKey = new Map<string, string>();
  for (const [code, ...spellings] of rows) {
    for (const spelling of [code!, ...spellings]) byKey.set(spellingKey(spelling), code!);
  }
  return byKey;
}

const tables = new Map<string, Map<string, string>>([
  ['CA', tableOf(canadianProvinces)],
  ['US', tableOf(unitedStates)],
]);

/**
 * The GeoNames admin1 code that `state` names in `country`, or null for an empty state. For a
 * country without a table the state itself, trimmed and upper-cased, is the code to compare.
 */
export function admin1Code(country: string, state: string): string | null {
  const key = spellingKey(state);
  if (key === '') return null;
  const table = tables.get(country);
  if (table) return table.get(key) ?? null;
  return state.trim().toUpperCase();
}
