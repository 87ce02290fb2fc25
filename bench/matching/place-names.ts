// Names of tourism businesses as DMOs write them, and the ways two DMOs write one name.
import type { BenchCountry } from './cities';
import type { Random } from './random';

export const placeKinds = ['hotel', 'restaurant', 'cafe', 'bar', 'museum', 'park', 'gallery', 'winery', 'attraction'] as const;
export type PlaceKind = (typeof placeKinds)[number];

/** Share of each kind among independent places. */
export const kindWeights: Record<PlaceKind, number> = {
  hotel: 0.24,
  restaurant: 0.24,
  cafe: 0.12,
  bar: 0.08,
  museum: 0.08,
  park: 0.08,
  gallery: 0.06,
  winery: 0.04,
  attraction: 0.06,
};

export type Chain = { name: string; kind: PlaceKind; countries: readonly BenchCountry[]; site: string; sharedLine: boolean };

/** Chains with many branches: same name, same site, one branch's page or the home page each. */
export const chains: readonly Chain[] = [
  { name: 'Tim Hortons', kind: 'cafe', countries: ['CA', 'US'], site: 'timhortons.ca', sharedLine: false },
  { name: 'Starbucks', kind: 'cafe', countries: ['CA', 'US', 'FR', 'GB', 'DE'], site: 'starbucks.com', sharedLine: false },
  { name: 'Holiday Inn Express', kind: 'hotel', countries: ['CA', 'US', 'GB', 'DE', 'FR'], site: 'ihg.com', sharedLine: true },
  { name: 'Holiday Inn', kind: 'hotel', countries: ['CA', 'US', 'GB', 'DE', 'FR'], site: 'ihg.com', sharedLine: true },
  { name: 'Best Western Plus', kind: 'hotel', countries: ['CA', 'US', 'FR', 'GB', 'DE'], site: 'bestwestern.com', sharedLine: true },
  { name: 'Hilton Garden Inn', kind: 'hotel', countries: ['CA', 'US', 'GB', 'DE'], site: 'hilton.com', sharedLine: true },
  { name: 'Comfort Inn', kind: 'hotel', countries: ['CA', 'US'], site: 'choicehotels.com', sharedLine: true },
  { name: 'ibis', kind: 'hotel', countries: ['FR', 'GB', 'DE'], site: 'all.accor.com', sharedLine: false },
  { name: 'Novotel', kind: 'hotel', countries: ['FR', 'GB', 'DE'], site: 'all.accor.com', sharedLine: false },
  { name: 'Premier Inn', kind: 'hotel', countries: ['GB', 'DE'], site: 'premierinn.com', sharedLine: false },
  { name: 'Motel One', kind: 'hotel', countries: ['DE', 'GB'], site: 'motel-one.com', sharedLine: false },
  { name: 'Costa Coffee', kind: 'cafe', countries: ['GB'], site: 'costa.co.uk', sharedLine: false },
  { name: 'Paul', kind: 'cafe', countries: ['FR', 'GB'], site: 'paul.fr', sharedLine: false },
  { name: 'Le Pain Quotidien', kind: 'restaurant', countries: ['FR', 'GB', 'US'], site: 'lepainquotidien.com', sharedLine: false },
  { name: "St-Hubert Rôtisserie", kind: 'restaurant', countries: ['CA'], site: 'st-hubert.com', sharedLine: false },
  { name: 'Vapiano', kind: 'restaurant', countries: ['DE', 'FR'], site: 'vapiano.com', sharedLine: false },
];

const adjectives = (
  'Blue Red Golden Silver Old Little Grand Royal Green White Black Crooked Jolly Quiet Wild Northern Hidden Sunny Stone Copper ' +
  'Iron Crystal Velvet Rusty Lucky Salty Smoky Sleepy Dancing Laughing Merry Noble Humble Rustic Twisted Painted Lazy Brave Scarlet Amber'
).split(' ');
const nouns = (
  'Heron Fox Lion Oak Maple Anchor Lantern Harbour Willow Bear Crown Mill Bridge Garden Orchard Meadow Thistle Rose Falcon Otter ' +
  'Kettle Spoon Barrel Compass Feather Acorn Beacon Pelican Sparrow Raven Badger Pine Birch Cedar Hearth Saddle Lighthouse Quill Walrus ' +
  'Moose Beaver Lynx Salmon Pearl Clover Juniper Fern Pebble Tulip Whistle Wagon'
).split(' ');
const saints = ['Saint-Jean', 'Sainte-Anne', 'Saint-Louis', 'Saint-Paul', 'Sainte-Catherine', 'Saint-Denis', 'Saint James', 'Saint George', 'Saint Patrick', 'Saint Lawrence'];
const mounts = ['Mount Royal', 'Mount Pleasant', 'Mount Vernon', 'Fort York', 'Fort Henry', 'Mount Olive'];
const surnames = 'Germain Dubois Lefebvre Moreau Girard Tremblay Gagnon Roy Côté Bouchard Müller Schmidt Schneider Fischer Weber Becker Hoffmann Smith Jones Taylor Brown Wilson Evans Walker Murphy OConnor Kelly Rossi Bianchi Olimpico Rinaldi Costa Nakamura Lee Chen Patel Novak Kowalski Andersen'.split(' ');
const firstNames = 'Léo Gérard Émile Marie Hélène Lucie Franz Greta Jürgen Tom Lucy Harry Olivia Marco Sofia Nina Hugo Zoé Anaïs'.split(' ');
const frenchNouns = ['Chat Noir', 'Belle Époque', 'Petit Prince', 'Vieux Moulin', 'Coin Perdu', 'Pied de Cochon', 'Bon Vivant', 'Grande Ourse', 'Cave à Vin', 'Jardin Secret', 'Étoile du Nord', 'Lumière', 'Bistrot du Marché', 'Clos Fleuri', 'Temps Perdu'];
const germanNouns = ['Goldener Hirsch', 'Schwarzer Adler', 'Alte Post', 'Grüner Baum', 'Weißes Rössl', 'Blaue Traube', 'Roter Ochse', 'Sonnenhof', 'Bergblick', 'Seeblick', 'Lindenhof', 'Rosengarten', 'Kastanienhof', 'Mühlental'];
const topics = ['Fine Arts', 'Natural History', 'Science', 'Modern Art', 'Photography', 'Local History', 'Railways', 'Maritime History', 'Textiles', 'Toys', 'Design', 'Archaeology', 'Music', 'Aviation', 'Chocolate'];
const frenchTopics = ['Beaux-Arts', 'Histoire Naturelle', 'Art Moderne', 'Photographie', 'Arts Décoratifs', 'Archéologie', 'la Musique', 'la Marine', 'la Mode', "l'Automobile"];
const germanTopics = ['Stadtgeschichte', 'Naturkunde', 'Moderne Kunst', 'Technik', 'Spielzeug', 'Musik', 'Fotografie', 'Design'];

function frenchLike(country: BenchCountry, adminCode: string): boolean {
  return country === 'FR' || (country === 'CA' && adminCode === '10');
}

/** An independent business's name of the given kind, in the style of its country. */
export function placeName(random: Random, kind: PlaceKind, country: BenchCountry, adminCode: string, city: string): string {
  const french = frenchLike(country, adminCode);
  const german = country === 'DE';
  const pair = () => `${random.pick(adjectives)} ${random.pick(nouns)}`;
  const local = () => (french ? `${random.chance(0.5) ? 'Le' : 'La'} ${random.pick(frenchNouns)}` : german ? random.pick(germanNouns) : pair());
  const special = () => (random.chance(0.5) ? random.pick(saints) : random.pick(mounts));
  const stem = () => (random.chance(0.2) ? special() : random.chance(0.5) ? local() : pair());
  switch (kind) {
    case 'hotel':
      return random.pick([
        () => `Hotel ${stem()}`,
        () => `${stem()} Hotel`,
        () => `${random.pick(surnames)} Inn`,
        () => `The ${pair()} Inn`,
        () => (french ? `Auberge ${local()}` : german ? `Gasthof ${random.pick(germanNouns)}` : `${stem()} Suites`),
        () => (french ? `Hôtel ${random.pick(surnames)}` : `${random.pick(surnames)} House Hotel`),
        () => `${stem()} Motel`,
        () => `${random.pick(surnames)} Bed & Breakfast`,
      ])();
    case 'restaurant':
      return random.pick([
        () => `Restaurant ${stem()}`,
        () => `${stem()} Bistro`,
        () => `Chez ${random.pick(firstNames)}`,
        () => `${stem()} Grill`,
        () => (french ? `Brasserie ${local()}` : german ? `Wirtshaus ${random.pick(germanNouns)}` : `${random.pick(surnames)}'s Kitchen`),
        () => `Trattoria ${random.pick(surnames)}`,
      ])();
    case 'cafe':
      return random.pick([() => `Café ${stem()}`, () => `${stem()} Coffee`, () => `${stem()} Café`, () => `Café ${random.pick(surnames)}`, () => `${random.pick(surnames)} Bakery & Café`])();
    case 'bar':
      return random.pick([() => `The ${pair()}`, () => `The ${random.pick(nouns)} & ${random.pick(nouns)}`, () => `${stem()} Pub`, () => `Bar ${stem()}`, () => `${stem()} Tavern`, () => `${pair()} Brewing Co`])();
    case 'museum':
      return random.pick([
        () => (french ? `Musée des ${random.pick(['Beaux-Arts', 'Arts Décoratifs', 'Civilisations', 'Augustins'])}` : `Museum of ${random.pick(topics)}`),
        () => (french ? `Musée de ${random.pick(frenchTopics)}` : german ? `Museum für ${random.pick(germanTopics)}` : `${random.pick(topics)} Museum`),
        () => `${city} Museum of ${random.pick(topics)}`,
        () => `${random.pick(surnames)} House Museum`,
        () => (french ? `Musée ${random.pick(surnames)}` : `${random.pick(surnames)} Museum`),
      ])();
    case 'park':
      return random.pick([() => `${stem()} Park`, () => (french ? `Parc ${random.pick(saints)}` : `${random.pick(surnames)} Park`), () => `${pair()} Gardens`, () => `${random.pick(nouns)} Lake Trail`])();
    case 'gallery':
      return random.pick([() => `${stem()} Gallery`, () => (french ? `Galerie ${random.pick(surnames)}` : `Galerie ${stem()}`), () => `${random.pick(surnames)} Fine Art`])();
    case 'winery':
      return random.pick([() => `${stem()} Winery`, () => (french ? `Domaine ${random.pick(surnames)}` : german ? `Weingut ${random.pick(surnames)}` : `${pair()} Vineyards`), () => `${random.pick(surnames)} Estate Winery`])();
    case 'attraction':
      return random.pick([() => `${stem()} Tower`, () => `${stem()} Market`, () => `${city} ${random.pick(['Aquarium', 'Zoo', 'Observatory', 'Botanical Garden', 'Science Centre'])}`, () => `${pair()} Escape Rooms`, () => `${stem()} Mini Golf`])();
  }
}

/** A name that looks like `name` but is another business: one word swapped for a near one. */
export function lookalikeName(random: Random, name: string): string {
  const nearWords: Record<string, string[]> = {
    Olimpico: ['Olympia', 'Olimpia'],
    Heron: ['Herring', 'Hermit'],
    Fox: ['Foxglove', 'Ox'],
    Lion: ['Lino', 'Lily'],
    Oak: ['Oat', 'Oaks'],
    Bistro: ['Brasserie', 'Bar'],
    Café: ['Bakery', 'Bar'],
    Hotel: ['Hostel'],
    Inn: ['Tavern'],
    Grill: ['Grille House', 'Diner'],
    Park: ['Square', 'Gardens'],
    Gallery: ['Studio'],
    Museum: ['Archive'],
    Pub: ['Bar'],
  };
  const words = name.split(' ');
  const replaceable = words.map((word, index) => ({ word, index })).filter(({ word }) => nearWords[word] !== undefined || adjectives.includes(word) || nouns.includes(word));
  if (replaceable.length === 0) return `${name} ${random.pick(['Annex', 'Express', 'Two', 'Kids'])}`;
  const { word, index } = random.pick(replaceable);
  const options = nearWords[word] ?? (adjectives.includes(word) ? adjectives : nouns).filter((other) => other !== word);
  words[index] = random.pick(options);
  return words.join(' ');
}

const stripAccents = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC');
const addAccents: [RegExp, string][] = [
  [/\bCafe\b/g, 'Café'],
  [/\bHotel\b/g, 'Hôtel'],
  [/\bMusee\b/g, 'Musée'],
  [/\bGalerie\b/g, 'Galérie'],
];
const shortForms: [RegExp, string][] = [
  [/\bSaint\b/g, 'St'],
  [/\bSainte\b/g, 'Ste'],
  [/\bMount\b/g, 'Mt.'],
  [/\bFort\b/g, 'Ft'],
  [/\bCentre\b/g, 'Ctr'],
];
const kindWords = /\b(Hotel|Hôtel|Café|Cafe|Restaurant|Bar|Inn|Motel|Pub)\b/;

/**
 * How another DMO writes the same name, with the edits it made: word order, "Hotel" added or
 * dropped, the city added, hyphens and punctuation, accents, short forms, case, a typo.
 */
export function nameVariant(random: Random, name: string, kind: PlaceKind, city: string, isChain: boolean): { name: string; edits: string[] } {
  let text = name;
  const edits: string[] = [];
  const edit = (label: string, change: (text: string) => string) => {
    const changed = change(text);
    if (changed === text) return;
    text = changed;
    edits.push(label);
  };
  if (random.chance(0.3)) {
    edit('word order', (t) => {
      const match = t.match(kindWords);
      if (match === null) return t;
      const rest = t.replace(kindWords, '').replace(/\s+/g, ' ').trim();
      return t.startsWith(match[0]) ? `${rest} ${match[0]}` : `${match[0]} ${rest}`;
    });
  }
  if (kind === 'hotel' && random.chance(0.35)) edit('"Hotel" added or dropped', (t) => (/\bHot[eê]l\b/.test(t) ? t.replace(/\s*\bHot[eê]l\b\s*/, ' ').trim() : `${t} Hotel`));
  if (random.chance(0.2)) edit('city added', (t) => (random.chance(0.5) ? `${t} ${city}` : random.chance(0.5) ? `${t} - ${city}` : `${t} de ${city}`));
  if (isChain && random.chance(0.2)) edit('branch named', (t) => `${t} ${city}`);
  if (random.chance(0.2)) edit('hyphens', (t) => (t.includes('-') ? t.replace(/-/g, ' ') : t.replace(/ /, '-')));
  if (random.chance(0.15)) edit('punctuation', (t) => (t.includes("'") ? t.replace(/'/g, '') : t.includes('.') ? t.replace(/\./g, '') : `${t}.`));
  if (random.chance(0.35)) edit('accents', (t) => (stripAccents(t) !== t ? stripAccents(t) : addAccents.reduce((s, [from, to]) => s.replace(from, to), t)));
  if (random.chance(0.6)) edit('short forms', (t) => shortForms.reduce((s, [from, to]) => (random.chance(0.8) ? s.replace(from, to) : s), t));
  if (random.chance(0.6)) edit('"&" or "and"', (t) => (t.includes(' & ') ? t.replace(' & ', ' and ') : t.replace(' and ', ' & ')));
  if (random.chance(0.08)) edit('case', (t) => (random.chance(0.5) ? t.toUpperCase() : t.toLowerCase()));
  if (random.chance(0.05)) {
    edit('typo', (t) => {
      const at = random.int(1, Math.max(1, t.length - 2));
      return /\p{L}/u.test(t[at] ?? '') && /\p{L}/u.test(t[at + 1] ?? '') ? `${t.slice(0, at)}${t[at + 1]}${t[at]}${t.slice(at + 2)}` : t;
    });
  }
  return { name: text, edits };
}
