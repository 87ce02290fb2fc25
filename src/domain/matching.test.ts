import { classifyMatch, nameKey, nameSimilarity, scoreCandidate, type MatchSubject } from './matching';

/** A point `metres` north of (lat, lng). */
function north(lat: number, lng: number, metres: number): { lat: number; lng: number } {
  return { lat: lat + metres / 111_195, lng };
}

const montreal = { lat: 45.4988, lng: -73.5794 };

function subject(fields: Partial<MatchSubject>): MatchSubject {
  return { name: null, address1: null, city: null, zip: null, country: null, lat: null, lng: null, precise: true, phone: null, website: null, ...fields };
}

const germain = subject({ name: 'Hotel Le Germain', address1: '2050 Rue Mansfield', city: 'Montréal', country: 'CA', ...montreal });
const germainElsewhere = subject({ name: 'Le Germain Hotel Montreal', address1: '2050 Mansfield St', city: 'Montreal', country: 'Canada', ...north(montreal.lat, montreal.lng, 40) });
const olimpico = subject({ name: 'Café Olimpico', address1: '124 Rue Saint-Viateur O', city: 'Montréal', ...montreal });
const timHortons = subject({ name: 'Tim Hortons', address1: '1200 Rue Sainte-Catherine O', city: 'Montréal', phone: '514-555-0101', website: 'https://www.timhortons.ca/store/1200', ...montreal });

const score = (record: MatchSubject, candidate: MatchSubject) => scoreCandidate(record, candidate, { defaultCountry: 'CA' });
const base = score(germain, germainElsewhere).confidence;

describe('scoreCandidate', () => {
  test.each<[reason: string, record: MatchSubject, candidate: MatchSubject, check: (confidence: number) => boolean]>([
    ['same hotel, name words in another order with the city, same address in two languages, 40 m: a match on its own', germain, germainElsewhere, (c) => c >= 0.8],
    [
      'the same with agreeing phones written differently: more sure',
      { ...germain, phone: '+1 514-849-2050' },
      { ...germainElsewhere, phone: '(514) 849 2050' },
      (c) => c > base,
    ],
    [
      'two cafés with similar names 5 km apart: not even a review',
      olimpico,
      subject({ name: 'Café Olympia', address1: '4071 Rue Saint-Denis', city: 'Montréal', ...north(montreal.lat, montreal.lng, 5_000) }),
      (c) => c < 0.5,
    ],
    [
      "a chain's two branches 300 m apart (other address and phone, same website host): never automatic",
      timHortons,
      { ...timHortons, address1: '1500 Rue Peel', phone: '514-555-0177', website: 'https://www.timhortons.ca/store/1500', ...north(montreal.lat, montreal.lng, 300) },
      (c) => c < 0.8,
    ],
    [
      'same name and address, one side without coordinates: a match',
      germain,
      { ...germainElsewhere, lat: null, lng: null },
      (c) => c >= 0.8,
    ],
    [
      'similar names nearby but the phones disagree: not automatic',
      { ...germain, address1: null, phone: '514 849 2050' },
      { ...germainElsewhere, address1: null, phone: '514 288 1111' },
      (c) => c < 0.8,
    ],
    [
      'accents, punctuation, word order, hyphens and "St": same place at the same door',
      subject({ name: 'Saint-Jean Café', address1: '12 rue Saint-Jean', city: 'Québec', ...montreal }),
      subject({ name: 'Cafe St Jean', address1: '12 Rue St-Jean', city: 'Quebec', ...north(montreal.lat, montreal.lng, 20) }),
      (c) => c >= 0.8,
    ],
    [
      'an added word (the city) in the name',
      subject({ name: 'Musée des beaux-arts', address1: '1380 Rue Sherbrooke O', city: 'Montréal', ...montreal }),
      subject({ name: 'Musée des beaux-arts de Montréal', address1: '1380 Sherbrooke St W', city: 'Montreal', ...north(montreal.lat, montreal.lng, 60) }),
      (c) => c >= 0.8,
    ],
    ['a coordinate moved 600 m, same name and address: still a match', germain, { ...germainElsewhere, ...north(montreal.lat, montreal.lng, 600) }, (c) => c >= 0.8],
    [
      'a similar name more than 2 km away: low',
      subject({ name: 'Le Germain', city: 'Montréal', ...montreal }),
      subject({ name: 'Germain Hotel', city: 'Montréal', ...north(montreal.lat, montreal.lng, 2_500) }),
      (c) => c < 0.5,
    ],
    [
      'the same name and nothing else (found by city): review, not automatic',
      subject({ name: 'Tim Hortons', city: 'Montréal', lat: null, lng: null }),
      subject({ name: 'Tim Hortons', city: 'Montréal', ...montreal }),
      (c) => c < 0.8,
    ],
    [
      'the same name and the same zip, nothing else: still not automatic',
      subject({ name: 'Tim Hortons', city: 'Montréal', zip: 'H3G 1P7' }),
      subject({ name: 'Tim Hortons', city: 'Montréal', zip: 'h3g1p7' }),
      (c) => c < 0.8,
    ],
    [
      'the same name and the same address (found by city): a match',
      subject({ name: 'Le Germain', address1: '2050 Mansfield St', city: 'Montréal' }),
      subject({ name: 'Hotel Le Germain', address1: '2050 rue Mansfield', city: 'Montréal' }),
      (c) => c >= 0.8,
    ],
    [
      'the same street, the next house, same name (a chain on one street): not automatic',
      { ...timHortons, phone: null, website: null },
      { ...timHortons, phone: null, website: null, address1: '1250 Rue Sainte-Catherine O', ...north(montreal.lat, montreal.lng, 80) },
      (c) => c < 0.8,
    ],
    [
      'same name in two countries: none',
      subject({ name: 'Hotel Le Germain', address1: '2050 Mansfield St', country: 'CA' }),
      subject({ name: 'Hotel Le Germain', address1: '2050 Mansfield St', country: 'FR' }),
      (c) => c < 0.5,
    ],
  ])('%s', (_reason, record, candidate, check) => {
    const { confidence } = score(record, candidate);
    expect({ confidence, holds: check(confidence) }).toEqual({ confidence, holds: true });
  });

  test('evidence says what agreed, and null where a side lacks it', () => {
    const { evidence } = score(
      { ...germain, phone: '+1 514-849-2050', website: 'https://www.germainhotels.com/fr/le-germain/montreal/?utm_source=dmo' },
      { ...germainElsewhere, phone: '(514) 849 2050', website: 'germainhotels.com/fr/le-germain/montreal' },
    );
    expect(evidence).toEqual({ name_similarity: 1, distance_m: 40, phone: true, website: true, address: true });
    expect(score(germain, { ...germainElsewhere, precise: false }).evidence).toMatchObject({ distance_m: null, phone: null, website: null });
  });

  test('the same page is stronger evidence than the same site, and the same site than the same host', () => {
    const withSite = (record: string, candidate: string) =>
      score({ ...germain, address1: null, website: record }, { ...germainElsewhere, address1: null, website: candidate }).confidence;
    const page = withSite('hilton.com/montreal', 'https://www.hilton.com/montreal/');
    const site = withSite('hilton.com', 'https://www.hilton.com/');
    const host = withSite('hilton.com', 'hilton.com/montreal');
    const none = withSite('hilton.com', 'marriott.com');
    expect(page).toBeGreaterThan(site);
    expect(site).toBeGreaterThan(host);
    expect(host).toBeGreaterThan(none);
  });

  test("two branches' pages of one site say the name is a brand's: less than the same site", () => {
    const withSite = (record: string, candidate: string) =>
      score({ ...germain, address1: null, website: record }, { ...germainElsewhere, address1: null, website: candidate }).confidence;
    expect(withSite('hilton.com/montreal', 'hilton.com/laval')).toBeLessThan(withSite('hilton.com', 'hilton.com'));
    expect(withSite('hilton.com/montreal', 'hilton.com/laval')).toBeLessThan(0.8);
  });

  test('a shared toll-free line agrees less than a direct line', () => {
    const withPhone = (phone: string) => score({ ...germain, address1: null, phone }, { ...germainElsewhere, address1: null, phone }).confidence;
    expect(withPhone('1-800-555-0199')).toBeLessThan(withPhone('514 849 2050'));
  });

  test('confidence is rounded to 4 decimals and within 0..1', () => {
    const { confidence } = score(germain, germainElsewhere);
    expect(confidence).toBeGreaterThan(0);
    expect(confidence).toBeLessThanOrEqual(1);
    expect(Math.round(confidence * 10_000) / 10_000).toBe(confidence);
  });
});

describe('nameKey', () => {
  test.each<[name: string, city: string | null, key: string]>([
    ['Hotel Le Germain', null, 'germain'],
    ['Le Germain Hotel Montreal', 'Montréal', 'germain'],
    ['Cafe St Jean', null, 'cafe saint jean'],
    ['Saint-Jean Café', null, 'saint jean cafe'],
    ['Mt. Royal Lookout', null, 'mount royal lookout'],
    ['Ft Myers Beach Inn', null, 'fort myers beach'],
    ['Science Ctr', null, 'science centre'],
    ['Science Center', null, 'science centre'],
    ['Tom & Jerry’s', null, 'tom jerry s'],
    ['Musée des beaux-arts de Montréal', 'Montréal', 'musee beaux arts'],
    ['Novotel Hotel Nottingham Nottingham', 'Nottingham', 'novotel'],
    // nothing would be left: the name keeps what it has
    ['Hotel International', null, 'hotel international'],
    ['Montreal', 'Montreal', 'montreal'],
    // a number is the identity
    ['Motel 6', null, '6'],
  ])('%p in %p → %p', (name, city, key) => {
    expect(nameKey(name, [city])).toBe(key);
  });
});

describe('nameSimilarity', () => {
  test.each<[a: string, b: string, check: (similarity: number) => boolean]>([
    ['Saint-Jean Café', 'Cafe St Jean', (s) => s === 1],
    ['Musée des beaux-arts', 'Musée des beaux-arts de Montréal', (s) => s === 1],
    ['Le Germain', 'Le Germain Hotel Montreal', (s) => s === 1],
    ['Hilton', 'Hilton Garden Inn', (s) => s > 0.7 && s < 0.9], // a name inside another: close, not the same
    ['Café Olimpico', 'Café Olympia', (s) => s < 0.9],
    ['Hotel Black aWgon', 'Hotel Black Wagon', (s) => s > 0.9], // a typo in a first letter must not reorder the words
    ['Motel 6', 'Motel 8', (s) => s < 0.5],
    ['Le Petit Bistro', 'Le Grand Bistro', (s) => s < 0.7],
  ])('%p ~ %p', (a, b, check) => {
    const similarity = nameSimilarity(a, b, { localities: ['Montréal'] });
    expect({ similarity, holds: check(similarity) }).toEqual({ similarity, holds: true });
  });
});

describe('classifyMatch', () => {
  const thresholds = { auto_match_threshold: 0.8, review_threshold: 0.5 };
  test.each<[number, string]>([
    [0.8, 'match'],
    [0.95, 'match'],
    [0.7999, 'possible_match'],
    [0.5, 'possible_match'],
    [0.4999, 'none'],
    [0, 'none'],
  ])('%p → %p', (confidence, decision) => {
    expect(classifyMatch(confidence, thresholds)).toBe(decision);
  });
});
