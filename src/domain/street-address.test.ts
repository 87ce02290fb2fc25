import { sameStreetAddress, streetAddressKey } from './street-address';

describe('sameStreetAddress', () => {
  test.each<[a: string | null, b: string | null, same: boolean | null, why: string]>([
    ['2050 Rue Mansfield', '2050 Mansfield St', true, 'French and English forms in Montreal'],
    ['2050 Rue Mansfield', '2050 Mansfield St., Suite 200', true, 'a unit is the same house'],
    ['1 St Catherine St W', '1 Rue Sainte-Catherine Ouest', true, 'saint, direction and type written two ways'],
    ['Hauptstraße 12', 'Hauptstr. 12', true, 'German suffix and its short form'],
    ['Hauptstraße 12', 'HAUPTSTRASSE 12', true, 'ß written ss, upper case'],
    ['12 rue de la République', '12 r. République', true, 'articles and short type'],
    ['100 Avenue Road', '100 Ave Rd', true, 'a street named by type words only'],
    ['1425 bd Crescent', '1425 Boulevard Crescent', true, 'Crescent is a name here'],
    ['221B Baker Street', '221 Baker St', true, 'a letter after the number'],
    ['2050 Mansfield', '2051 Mansfield St', false, 'the next house'],
    ['12 High Street', '12 Low Street', false, 'another street'],
    ['12 Main St', '12 Maine St', false, 'a short name must be spelled the same'],
    ['Main St', '12 Main St', null, 'no number on one side: a street alone places no house'],
    [null, '12 Main St', null, 'no address'],
    ['', '12 Main St', null, 'empty address'],
  ])('%p vs %p → %p (%s)', (a, b, same) => {
    expect(sameStreetAddress(a, b)).toBe(same);
  });

  test('the key is the house number and the distinctive words', () => {
    expect(streetAddressKey('2050 Rue de la Montagne')).toEqual({ number: '2050', street: 'montagne' });
  });
});
