import { describeConflict, listOf, type ConflictFacts } from './mapping-conflicts';

test.each<{ facts: ConflictFacts; words: string }>([
  {
    facts: { kind: 'record_claimed_twice', infoId: 12, listing: { id: 5, name: 'Café Québec' }, dmoName: 'Visit Halifax',
      others: [{ dmoName: 'Visit Halifax', sourceId: 'NS-002' }] },
    words: '2 source records feed the same Visit Halifax record (#12 on “Café Québec” (listing #5)): this one and NS-002 from ' +
      'Visit Halifax. Only one of them should: each import of either overwrites what the other said.',
  },
  {
    facts: { kind: 'two_listings', dmoName: 'Visit Halifax', linked: { id: 5, name: 'Café A' }, shownOn: { id: 7, name: null } },
    words: 'Linked to two listings: the link says “Café A” (listing #5), but the Visit Halifax record is shown on listing #7. ' +
      'Match it to the right listing to put both in agreement.',
  },
  {
    facts: { kind: 'same_dmo_twice', dmoName: 'Visit Halifax', listing: { id: 5, name: 'Harbour Inn' }, otherSourceIds: ['H-2', 'H-3'] },
    words: '“Harbour Inn” (listing #5) has 3 records from Visit Halifax (this one, H-2 and H-3): probably different places ' +
      "merged by mistake, or a duplicate in Visit Halifax's data. Give the one that does not belong its own listing.",
  },
])('a $facts.kind conflict reads as a content admin would say it', ({ facts, words }) => {
  expect(describeConflict(facts)).toBe(words);
});

test('lists read as English', () => {
  expect(listOf([])).toBe('');
  expect(listOf(['A'])).toBe('A');
  expect(listOf(['A', 'B'])).toBe('A and B');
  expect(listOf(['A', 'B', 'C'])).toBe('A, B and C');
});
