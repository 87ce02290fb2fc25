// Addresses, postal codes, phones and websites as each country writes them, and the ways another
// DMO writes the same one.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { phoneE164 } from '../../src/domain/match-evidence';
import { normalize } from '../../src/domain/normalize';
import type { BenchCity, BenchCountry } from './cities';
import type { Random } from './random';

export type Street = { country: BenchCountry; french: boolean; name: string; type: string };

const englishStreets = 'Main King Queen Yonge Bloor Granville Robson Elm Oak Maple Cedar Pine Washington Lincoln Jefferson Madison Lake Church High Market Mill Bridge Station Victoria Albert George Princess Wellington Dundas College Spadina Jarvis Sherbourne Union Water Front Harbour Bay Richmond Adelaide Duke Regent Baker Oxford Cambridge Kensington Portobello Camden Shaftesbury Saint Patrick Saint James Mount Pleasant'.split(' ').reduce<string[]>((names, word, i, all) => {
  if (word === 'Saint' || word === 'Mount') return names;
  const previous = all[i - 1];
  names.push(previous === 'Saint' || previous === 'Mount' ? `${previous} ${word}` : word);
  return names;
}, []);
const englishTypes = ['Street', 'Avenue', 'Road', 'Boulevard', 'Drive', 'Lane', 'Place', 'Way'];
const frenchStreets = ['Sainte-Catherine', 'Saint-Denis', 'Saint-Laurent', 'Sherbrooke', 'Mansfield', 'Peel', 'de la Montagne', 'Laurier', 'Notre-Dame', 'Saint-Paul', 'René-Lévesque', 'de la République', 'Victor Hugo', 'du Faubourg Saint-Honoré', 'des Martyrs', 'de Rivoli', 'Saint-Antoine', 'Jean Jaurès', 'de la Paix', 'du Général de Gaulle', 'Gambetta', 'Pasteur', "de l'Église", 'des Carmes', 'Sainte-Anne', 'du Parc', 'Saint-Viateur', 'Bernard', 'Fairmount', 'Crescent'];
const frenchTypes = ['rue', 'avenue', 'boulevard', 'place', 'quai', 'chemin'];
const germanStems = ['Haupt', 'Bahnhof', 'Linden', 'Goethe', 'Schiller', 'Kirch', 'Markt', 'Berliner', 'Friedrich', 'Königs', 'Garten', 'Wald', 'Berg', 'Schloss', 'Mozart', 'Beethoven', 'Rosen', 'Birken', 'Eichen', 'Brunnen', 'Mühlen', 'Kaiser', 'Luisen', 'Sonnen', 'Hafen'];
const germanTypes = ['straße', 'straße', 'straße', 'weg', 'platz', 'allee', 'gasse'];

export function randomStreet(random: Random, city: BenchCity): Street {
  const country = city.country as BenchCountry;
  const french = country === 'FR' || (country === 'CA' && city.adminCode === '10');
  if (country === 'DE') return { country, french, name: random.pick(germanStems), type: random.pick(germanTypes) };
  if (french) return { country, french, name: random.pick(frenchStreets), type: random.pick(frenchTypes) };
  return { country, french, name: random.pick(englishStreets), type: random.pick(englishTypes) };
}

export function houseNumber(random: Random, country: BenchCountry): number {
  return country === 'CA' || country === 'US' ? random.int(1, 3_000) : random.int(1, 180);
}

/** The address as the country writes it: "2050 rue Mansfield", "12 High Street", "Hauptstraße 12". */
export function addressLine(street: Street, number: number): string {
  if (street.country === 'DE') return `${street.name}${street.type} ${number}`;
  if (street.country === 'FR') return `${number} ${street.type} ${street.name}`;
  if (street.french) return `${number} ${street.type[0]?.toUpperCase()}${street.type.slice(1)} ${street.name}`;
  return `${number} ${street.name} ${street.type}`;
}

const englishShort: Record<string, string> = { Street: 'St', Avenue: 'Ave', Road: 'Rd', Boulevard: 'Blvd', Drive: 'Dr', Lane: 'Ln', Place: 'Pl', Way: 'Way' };
const frenchShort: Record<string, string> = { rue: 'r.', avenue: 'av.', boulevard: 'bd', place: 'pl.', quai: 'quai', chemin: 'ch.' };
const frenchToEnglish: Record<string, string> = { rue: 'Street', avenue: 'Avenue', boulevard: 'Boulevard', place: 'Place', quai: 'Quay', chemin: 'Road' };

/** The same address written by another DMO: short forms, English in Quebec, a unit, no accents, case. */
export function addressVariant(random: Random, street: Street, number: number): string {
  const line = addressLine(street, number);
  const variants: (() => string)[] = [() => line, () => line.toUpperCase(), () => line.normalize('NFD').replace(/\p{M}/gu, '')];
  if (street.country === 'DE') {
    variants.push(() => line.replace('straße', 'str.'), () => line.replace('straße', 'strasse'), () => line.replace(/ (\d+)$/, ' $1a'));
  } else if (street.french) {
    variants.push(() => line.replace(new RegExp(`\\b${street.type}\\b`, 'i'), frenchShort[street.type] ?? street.type));
    variants.push(() => line.replace(/\bSainte?-/g, (saint) => (saint.startsWith('Sainte') ? 'Ste-' : 'St-')));
    if (street.country === 'CA') variants.push(() => `${number} ${street.name.replace(/^(de la|du|des|de l') ?/, '')} ${random.chance(0.5) ? (frenchToEnglish[street.type] ?? 'Street') : 'St'}`);
  } else {
    variants.push(() => `${number} ${street.name} ${englishShort[street.type] ?? street.type}${random.chance(0.5) ? '.' : ''}`);
    variants.push(() => `${line}, Suite ${random.int(100, 900)}`);
    variants.push(() => line.replace(/\bSaint\b/, 'St.').replace(/\bMount\b/, 'Mt'));
  }
  return random.pick(variants)();
}

const canadianLetter: Record<string, string> = { '10': 'H', '08': 'M', '02': 'V', '01': 'T', '03': 'R', '11': 'S', '07': 'B', '04': 'E' };
const letters = 'ABCEGHJKLMNPRSTVXY';

/** A postal code in the city's own pattern (each city keeps its prefix). */
export function postalCode(random: Random, city: BenchCity, cityIndex: number): string {
  const digit = () => String(random.int(0, 9));
  const letter = () => letters[random.int(0, letters.length - 1)] ?? 'A';
  switch (city.country as BenchCountry) {
    case 'CA':
      return `${canadianLetter[city.adminCode] ?? 'K'}${digit()}${letter()} ${digit()}${letter()}${digit()}`;
    case 'US':
      return `${String(100 + ((cityIndex * 37) % 890)).padStart(3, '0')}${digit()}${digit()}`;
    case 'FR':
      return `${String(10 + ((cityIndex * 7) % 85))}0${digit()}${digit()}`;
    case 'GB':
      return `${['SW', 'EC', 'M', 'B', 'L', 'LS', 'G', 'EH', 'BS', 'S'][cityIndex % 10]}${random.int(1, 20)} ${digit()}${letter()}${letter()}`;
    case 'DE':
      return `${String(10 + ((cityIndex * 11) % 89))}${digit()}${digit()}${digit()}`;
  }
}

/** The same postal code as another DMO types it. */
export function postalCodeVariant(random: Random, zip: string): string {
  return random.pick([zip, zip.replace(/\s/g, ''), zip.toLowerCase()]);
}

const areaCodes: Record<BenchCountry, string[]> = {
  CA: ['514', '438', '416', '647', '604', '403', '780', '613', '204', '418', '905', '819', '450', '519'],
  US: ['212', '213', '312', '713', '602', '215', '210', '619', '214', '408', '512', '415', '206', '303', '617', '702'],
  FR: ['1', '2', '3', '4', '5'],
  GB: ['20', '121', '161', '113', '141', '151', '114', '117', '131'],
  DE: ['30', '40', '89', '221', '69', '711', '211', '341', '231', '201'],
};
const callingCodes: Record<BenchCountry, string> = { CA: '1', US: '1', FR: '33', GB: '44', DE: '49' };
const subscriberDigits: Record<BenchCountry, number> = { CA: 7, US: 7, FR: 8, GB: 7, DE: 7 };

/** A phone number valid for the country (E.164), in the city's area code. */
export function phoneNumber(random: Random, country: BenchCountry, cityIndex: number): string {
  const codes = areaCodes[country];
  const area = codes[cityIndex % codes.length] ?? codes[0] ?? '';
  const length = country === 'GB' ? 10 - area.length : subscriberDigits[country];
  return firstValid(() => {
    let subscriber = String(random.int(2, 9));
    while (subscriber.length < length) subscriber += String(random.int(0, 9));
    return `+${callingCodes[country]}${area}${subscriber}`;
  });
}

/** Draws numbers until libphonenumber calls one valid (most are at the first draw). */
function firstValid(draw: () => string): string {
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const e164 = phoneE164(draw());
    if (e164 !== null) return e164;
  }
  throw new Error('no valid phone number drawn in 1,000 attempts: check the area codes');
}

/** A toll-free number valid for the country: a chain's central reservations line. */
export function tollFreeNumber(random: Random, country: BenchCountry): string {
  const prefix: Record<BenchCountry, string> = { CA: '+1800', US: '+1888', FR: '+33805', GB: '+44800', DE: '+49800' };
  return firstValid(() => {
    let digits = prefix[country];
    while (digits.length - 1 < (country === 'DE' || country === 'GB' ? 12 : 11)) digits += String(random.int(0, 9));
    return digits;
  });
}

/** The phone as some DMO writes it: international, national, dotted, digits only, a tel: link. */
export function phoneWritten(random: Random, e164: string): string {
  const phone = parsePhoneNumberFromString(e164);
  if (phone === undefined) return e164;
  return random.pick([
    () => phone.formatInternational(),
    () => phone.formatNational(),
    () => phone.formatNational().replace(/[()]/g, '').replace(/[\s-]+/g, '.'),
    () => phone.nationalNumber,
    () => phone.getURI(),
    () => `${phone.formatNational()} ext. ${random.int(1, 40)}`,
  ])();
}

const topLevel: Record<BenchCountry, string> = { CA: 'ca', US: 'com', FR: 'fr', GB: 'co.uk', DE: 'de' };

/** An independent place's own site, in one of the forms sites take. */
export function ownWebsite(random: Random, name: string, country: BenchCountry): string {
  const slug = normalize(name).replace(/ /g, random.chance(0.3) ? '-' : '');
  const host = `${slug}.${topLevel[country]}`;
  return random.pick([`https://www.${host}/`, `http://${host}`, `https://${host}`, `https://www.${host}/${country === 'FR' ? 'fr' : 'en'}/`]);
}

/** A branch's page on its chain's site, or the chain's home page. */
export function chainWebsite(random: Random, site: string, city: string, branch: number): string {
  return random.chance(0.6) ? `https://www.${site}/locations/${normalize(city).replace(/ /g, '-')}-${branch}` : `https://www.${site}/`;
}

/** The same site as another DMO writes it: www, scheme, trailing slash, tracking parameters, case. */
export function websiteVariant(random: Random, website: string): string {
  let text = website;
  if (random.chance(0.4)) text = text.includes('://www.') ? text.replace('://www.', '://') : text.replace('://', '://www.');
  if (random.chance(0.3)) text = text.startsWith('https') ? text.replace('https://', 'http://') : text.replace('http://', 'https://');
  if (random.chance(0.3)) text = text.endsWith('/') ? text.slice(0, -1) : `${text}/`;
  if (random.chance(0.3)) text = `${text}${text.includes('?') ? '&' : '?'}${random.pick(['utm_source=dmo&utm_medium=listing', 'fbclid=IwAR0abc', 'utm_campaign=summer', 'gclid=Cj0KCQ', 'ref=visit'])}`;
  if (random.chance(0.2)) text = text.replace(/^https?:\/\//, '');
  if (random.chance(0.1)) text = text.replace(/^([^/]*\/\/)?([^/]+)/, (_all, scheme: string | undefined, host: string) => `${scheme ?? ''}${host.toUpperCase()}`);
  return text;
}
