import { type AddressQuery, gazetteer, placeKey } from './gazetteer';

function address(city: string | null, state: string | null, country: string | null, address1: string | null = null): AddressQuery {
  return { address1, city, state, zip: null, country };
}

/** Where the gazetteer puts an address, to a tenth of a degree, or null. */
function pin(query: AddressQuery): [lat: number, lng: number] | null {
  const hit = gazetteer().lookup(query);
  return hit && [Math.round(hit.lat * 10) / 10, Math.round(hit.lng * 10) / 10];
}

describe('the gazetteer finds a city', () => {
  test.each(['Montréal', 'Montreal', 'MONTREAL', ' montréal '])('%p, QC, CA is Montréal', (city) => {
    const hit = gazetteer().lookup(address(city, 'QC', 'CA'));
    expect(hit).toEqual({ lat: expect.closeTo(45.5, 1), lng: expect.closeTo(-73.6, 1), precision: 'city', place: 'Montréal, CA', geonameId: 6077243 });
  });

  test.each([
    ['the province spelled out', 'Québec', 'CA'],
    ['the French name unaccented', 'quebec', 'CA'],
    ['the GeoNames code', '10', 'CA'],
    ['no country, the province abbreviation', 'QC', null],
  ])('Montréal with %s', (_case, state, country) => {
    expect(pin(address('Montréal', state, country))).toEqual([45.5, -73.6]);
  });

  test('Paris, FR is in France and Paris, TX, US is in Texas', () => {
    expect(pin(address('Paris', null, 'FR'))).toEqual([48.9, 2.3]);
    expect(pin(address('Paris', 'TX', 'US'))).toEqual([33.7, -95.6]);
    expect(pin(address('Paris', 'Texas', 'US'))).toEqual([33.7, -95.6]);
  });

  test('Springfield is the one of the state given', () => {
    expect(pin(address('Springfield', 'IL', 'US'))).toEqual([39.8, -89.6]);
    expect(pin(address('Springfield', 'Illinois', 'US'))).toEqual([39.8, -89.6]);
    expect(pin(address('Springfield', 'MO', 'US'))).toEqual([37.2, -93.3]);
  });

  test('without a state, the most populous city of the name in the country', () => {
    expect(gazetteer().lookup(address('Springfield', null, 'US'))?.geonameId).toBe(4409896); // Missouri, 167k; Illinois has 117k
  });

  test.each([
    ['St-Jean-sur-Richelieu', 'QC', 'CA', 'Saint-Jean-sur-Richelieu, CA'],
    ['Saint Jean sur Richelieu', null, 'CA', 'Saint-Jean-sur-Richelieu, CA'],
    ['Ste-Julie', 'QC', 'CA', 'Sainte-Julie, CA'],
    ['Saint Louis', 'MO', 'US', 'St. Louis, US'],
    ['Ft. Worth', 'TX', 'US', 'Fort Worth, US'],
    ['Mt Vernon', 'NY', 'US', 'Mount Vernon, US'],
    ['Lodz', null, 'PL', 'Łódź, PL'],
  ])('%p, %s, %s is found as %s', (city, state, country, place) => {
    expect(gazetteer().lookup(address(city, state, country))?.place).toBe(place);
  });

  test.each([
    ['New York', 'NY', 'US', 'New York City, US'],
    ['Quebec City', 'QC', 'CA', 'Québec, CA'],
    ['Washington', 'DC', 'US', 'Washington, D.C., US'],
    ['Laval (Québec)', null, 'CA', 'Laval, CA'],
  ])('%p, %s, %s, as sources write it, is %s', (city, state, country, place) => {
    expect(gazetteer().lookup(address(city, state, country))?.place).toBe(place);
  });

  test('a state it cannot read as a region is ignored, not held against the city', () => {
    expect(pin(address('Paris', 'Île-de-France', 'FR'))).toEqual([48.9, 2.3]);
  });

  test('the country is read in any case', () => {
    expect(pin(address('Paris', null, 'fr'))).toEqual([48.9, 2.3]);
  });
});

describe('the gazetteer answers null rather than guess', () => {
  test('an unknown city', () => {
    expect(gazetteer().lookup(address('Nowhereville-sur-Mer', 'QC', 'CA'))).toBeNull();
  });

  test('no city, even with a street that names one', () => {
    expect(gazetteer().lookup(address(null, 'QC', 'CA', '1000 rue Sainte-Catherine, Montréal'))).toBeNull();
    expect(gazetteer().lookup(address('  ', 'QC', 'CA'))).toBeNull();
    expect(gazetteer().lookup(address('---', null, null))).toBeNull();
  });

  test('a city of another country only', () => {
    expect(gazetteer().lookup(address('Saint-Jean-sur-Richelieu', null, 'FR'))).toBeNull();
  });

  test('a state that is a real region without a city of that name', () => {
    expect(gazetteer().lookup(address('Springfield', 'CA', 'US'))).toBeNull(); // no Springfield in California
    expect(gazetteer().lookup(address('Montréal', 'ON', 'CA'))).toBeNull();
  });

  test('a name shared by countries, no country, and no namesake ten times the others', () => {
    expect(gazetteer().lookup(address('Birmingham', null, null))).toBeNull(); // GB 1.0M, US 0.2M
  });

  test('a name shared by countries, no country, one namesake ten times the others: that one', () => {
    expect(gazetteer().lookup(address('Paris', null, null))?.place).toBe('Paris, FR');
    expect(gazetteer().lookup(address('London', null, null))?.place).toBe('London, GB');
  });
});

describe('the gazetteer as a whole', () => {
  test('is loaded once per process', () => {
    expect(gazetteer()).toBe(gazetteer());
  });

  test('answers 100,000 lookups within 2 seconds (a stage step makes that many)', () => {
    const cities = ['Montréal', 'Paris', 'Springfield', 'St-Jean-sur-Richelieu', 'Nowhereville', 'Toronto', 'London'];
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) gazetteer().lookup(address(cities[i % cities.length]!, i % 2 ? 'QC' : null, i % 3 ? 'CA' : null));
    expect(performance.now() - started).toBeLessThan(2000);
  });

  test.each([
    ['St-Jean-sur-Richelieu', 'saint jean sur richelieu'],
    ['Ste. Julie', 'sainte julie'],
    ['Mt. Vernon', 'mount vernon'],
    ['FT WORTH', 'fort worth'],
    ['Stanley', 'stanley'],
    ['Łódź', 'lodz'],
  ])('placeKey(%p) is %p', (name, key) => {
    expect(placeKey(name)).toBe(key);
  });
});
