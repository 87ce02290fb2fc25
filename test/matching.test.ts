// Fuzzy matching in the stage step, through the API: a second DMO's records that neither source_id
// nor the exact match hash links are matched to production by name, distance and evidence, sent to
// review when borderline (with their candidates), or made new; the reviewer's choice is what promote
// applies, and the bridge says how each link was made.
import { createPool } from '../src/db/pool';
import { fuzzyMatch, resetFuzzyMatches } from '../src/db/stage-match';
import { computeActions, resetStageDecisions } from '../src/db/stage-run';
import { approveAndPromote, createCsvSource, startCsvRun, startPipelineUnderTest, waitForRun, type PipelineUnderTest } from './harness/pipeline';

jest.setTimeout(120_000);

interface Place { id: string; name: string; address: string; city: string; lat: string; lng: string; phone?: string }
const csv = (rows: Place[]) => ['ID,Name,Address,City,Country,Latitude,Longitude,Phone',
  ...rows.map((r) => [r.id, r.name, r.address, r.city, 'CA', r.lat, r.lng, r.phone ?? ''].join(','))].join('\n') + '\n';
const mapping = {
  'listings.name': 'Name', 'locations.address1': 'Address', 'locations.city': 'City', 'locations.country': 'Country',
  'locations.lat': 'Latitude', 'locations.lng': 'Longitude', 'contact_info.local_phone': 'Phone',
};

let p: PipelineUnderTest;
beforeAll(async () => (p = await startPipelineUnderTest()));
afterAll(() => p.close());

const production: Place[] = [
  { id: 'germain', name: 'Hotel Le Germain', address: '2050 Rue Mansfield', city: 'Montréal', lat: '45.50046', lng: '-73.57540' },
  { id: 'olimpico', name: 'Café Olimpico', address: '124 Rue Saint-Viateur O', city: 'Montréal', lat: '45.52400', lng: '-73.60090' },
  { id: 'jardin', name: 'Jardin botanique', address: '4101 Rue Sherbrooke E', city: 'Montréal', lat: '45.56000', lng: '-73.55600' },
];
const incoming: Place[] = [
  { id: 'B-1', name: 'Le Germain Hotel Montreal', address: '2050 Mansfield St', city: 'Montreal', lat: '45.50010', lng: '-73.57540' },
  { id: 'B-2', name: 'Café Olympia', address: '10 Rue Fleury', city: 'Montreal', lat: '45.57000', lng: '-73.64000' },
  { id: 'B-3', name: 'Jardin Botanique Shop', address: '', city: 'Montreal', lat: '45.56000', lng: '-73.55500' },
];

const rowsBySource = async (runId: number) => {
  const { body } = await p.admin.get(`/api/v1/pipeline/staging/rows?jobId=${runId}&pageSize=100`);
  return new Map<string, any>(body.rows.map((row: any) => [row.source_id, row]));
};

it('matches, sends the borderline pair to review with its evidence, and promotes what the reviewer chose', async () => {
  const a = await createCsvSource(p.admin, 'Tourisme Montréal', 3, { transform: { map_fields: mapping } });
  const first = await startCsvRun(p.admin, a.configId, csv(production));
  await waitForRun(p.admin, first, ['awaiting_review']);
  await approveAndPromote(p.admin, first);
  const listingOf = new Map((await p.t.ctx.db.query(
    'SELECT source_id, listing_id FROM public.listing_info WHERE dmo_id = $1', [a.dmoId])).rows.map((r) => [r.source_id, r.listing_id]));

  const b = await createCsvSource(p.admin, 'Québec Original', 4, { transform: { map_fields: mapping } });
  const second = await startCsvRun(p.admin, b.configId, csv(incoming));
  const staged = await waitForRun(p.admin, second, ['awaiting_review']);
  expect(staged.results).toMatchObject({ records_new: 2, records_possible_match: 1 });
  const rows = await rowsBySource(second);

  // the same hotel under another name, 40 m away: matched automatically, a new listing_info of that listing
  expect(rows.get('B-1')).toMatchObject({ listing_id: listingOf.get('germain'), match_method: 'fuzzy', action: 'insert', ok_to_promote: true });
  expect(rows.get('B-1').certainty_score).toBeGreaterThanOrEqual(0.8);
  // a café with a similar name 5 km away is another café
  expect(rows.get('B-2')).toMatchObject({ listing_id: null, match_method: null, action: 'insert' });

  // the shop by the garden: not sure either way, so a person decides, seeing why
  expect(rows.get('B-3')).toMatchObject({ action: 'possible_match', listing_id: null, ok_to_promote: false });
  const detail = await p.admin.get(`/api/v1/pipeline/staging/rows/${rows.get('B-3').id}`);
  expect(detail.status).toBe(200);
  const [best] = detail.body.candidates;
  expect(best).toMatchObject({ listing_id: listingOf.get('jardin'), name: 'Jardin botanique' });
  expect(best.confidence).toBeGreaterThanOrEqual(0.5);
  expect(best.confidence).toBeLessThan(0.8);
  expect(best.evidence).toMatchObject({ name_similarity: expect.any(Number), distance_m: expect.any(Number), phone: null, address: null });
  expect(best.evidence.distance_m).toBeGreaterThan(40);
  expect(best.evidence.distance_m).toBeLessThan(120);

  // a listing that does not exist is refused, naming the field
  const wrong = await p.admin.post('/api/v1/pipeline/staging/review', {
    jobId: second, ids: [rows.get('B-3').id], decision: 'approve', match_listing_id: 999_999,
  });
  expect(wrong.status).toBe(400);
  expect(wrong.body.error.message).toMatch(/match_listing_id: no listing has id 999999/);

  // the reviewer says it is the garden itself
  const pick = await p.admin.post('/api/v1/pipeline/staging/review', {
    jobId: second, ids: [rows.get('B-3').id], decision: 'approve', match_listing_id: listingOf.get('jardin'),
  });
  expect(pick.body).toEqual({ updated: 1 });
  const picked = (await rowsBySource(second)).get('B-3');
  expect(picked).toMatchObject({ listing_id: listingOf.get('jardin'), match_method: 'manual', action: 'insert', review_status: 'approved' });

  const promoted = await approveAndPromote(p.admin, second);
  expect(promoted.promote_results).toMatchObject({ listings_created: 1 });
  const bridge = new Map((await p.t.ctx.db.query(
    `SELECT source_id, target_id, match_method, certainty_score::float8 AS certainty FROM pipeline.bridge_source_target
      WHERE dmo_id = $1 AND target_type = 'listing'`, [b.dmoId])).rows.map((r) => [r.source_id, r]));
  expect(bridge.get('B-1')).toMatchObject({ target_id: listingOf.get('germain'), match_method: 'fuzzy' });
  expect(bridge.get('B-1').certainty).toBeGreaterThanOrEqual(0.8);
  expect(bridge.get('B-3')).toMatchObject({ target_id: listingOf.get('jardin'), match_method: 'manual', certainty: 1 });
  expect(bridge.get('B-2')).toMatchObject({ match_method: 'created' });
  const germain = await p.admin.get(`/api/v1/pipeline/listings/${listingOf.get('germain')}`);
  expect(germain.body.listing_info.map((info: any) => info.dmo_id).sort()).toEqual([a.dmoId, b.dmoId].sort());

  // the same file again: the bridge knows every record now, nobody is fuzzy-matched twice
  const third = await startCsvRun(p.admin, b.configId, csv(incoming));
  const again = await waitForRun(p.admin, third, ['awaiting_review']);
  expect(again.results).toMatchObject({ records_unchanged: 3, records_new: 0, records_possible_match: 0 });
  const bridged = await rowsBySource(third);
  for (const id of ['B-1', 'B-2', 'B-3']) expect(bridged.get(id).match_method).toBe('bridge');
});

it('two records of one run that would both take one listing go to review, neither matched alone', async () => {
  const a = await createCsvSource(p.admin, 'Harbour DMO', 3, { transform: { map_fields: mapping } });
  const first = await startCsvRun(p.admin, a.configId, csv([{ id: 'h', name: 'Harbour Inn', address: '1 Lower Water St', city: 'Halifax', lat: '44.64800', lng: '-63.57000' }]));
  await waitForRun(p.admin, first, ['awaiting_review']);
  await approveAndPromote(p.admin, first);
  const b = await createCsvSource(p.admin, 'Harbour Partner', 4, { transform: { map_fields: mapping } });
  const second = await startCsvRun(p.admin, b.configId, csv([
    { id: 'x1', name: 'The Harbour Inn', address: '1 Lower Water Street', city: 'Halifax', lat: '44.64802', lng: '-63.57001' },
    { id: 'x2', name: 'Harbour Inn Halifax', address: '1 Lower Water St.', city: 'Halifax', lat: '44.64799', lng: '-63.57003' },
  ]));
  const staged = await waitForRun(p.admin, second, ['awaiting_review']);
  const rows = await rowsBySource(second);
  const harbour = (await p.t.ctx.db.query('SELECT listing_id FROM public.listing_info WHERE dmo_id = $1', [a.dmoId])).rows[0].listing_id;
  for (const id of ['x1', 'x2']) {
    expect(rows.get(id)).toMatchObject({ action: 'possible_match', listing_id: null, match_method: null, ok_to_promote: false });
    const detail = await p.admin.get(`/api/v1/pipeline/staging/rows/${rows.get(id).id}`);
    expect(detail.body.candidates[0]).toMatchObject({ listing_id: harbour });
    expect(detail.body.candidates[0].confidence).toBeGreaterThanOrEqual(0.8);
  }
  expect(staged.results.records_possible_match).toBe(2);
});

it('a stage whose pool has no connection to spare for searching matches on its own transaction, as it would with searchers', async () => {
  const a = await createCsvSource(p.admin, 'Pool DMO', 3, { transform: { map_fields: mapping } });
  const first = await startCsvRun(p.admin, a.configId, csv([production[0]!]));
  await waitForRun(p.admin, first, ['awaiting_review']);
  await approveAndPromote(p.admin, first);
  const b = await createCsvSource(p.admin, 'Pool Partner', 4, { transform: { map_fields: mapping } });
  const second = await startCsvRun(p.admin, b.configId, csv([incoming[0]!]));
  await waitForRun(p.admin, second, ['awaiting_review']);
  const germain = (await p.t.ctx.db.query('SELECT listing_id FROM public.listing_info WHERE dmo_id = $1', [a.dmoId])).rows[0].listing_id;

  const thresholds = { auto_match_threshold: 0.8, review_threshold: 0.5 };
  // the stage's matching again, rolled back: with a pool whose only connection someone else holds
  // (waiting for it would hang the stage), and with a pool that has connections to spare
  const rematch = async (search: ReturnType<typeof createPool>) => {
    const client = await p.t.ctx.db.connect();
    try {
      await client.query('BEGIN');
      await resetStageDecisions(client, second);
      await resetFuzzyMatches(client, second);
      const outcome = await fuzzyMatch(client, second, thresholds, { search });
      await computeActions(client, second, { fuzzyMatches: true });
      const { rows } = await client.query('SELECT listing_id, match_method FROM staging.rows WHERE job_id = $1 AND file_seq > 0', [second]);
      return { outcome, rows };
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  };
  const busy = createPool(p.t.settings.DATABASE_URL, 1);
  const spare = createPool(p.t.settings.DATABASE_URL, 3);
  const holder = await busy.connect();
  try {
    for (const pool of [busy, spare]) {
      const result = await rematch(pool);
      expect(result).toEqual({ outcome: { matched: 1, possible: 0 }, rows: [{ listing_id: germain, match_method: 'fuzzy' }] });
    }
  } finally {
    holder.release();
    await Promise.all([busy.end(), spare.end()]);
  }
});

it('a record the stage marks as a duplicate keeps the listing it matched, so making it an update after all touches that listing', async () => {
  const a = await createCsvSource(p.admin, 'Twin DMO', 3, { transform: { map_fields: mapping } });
  const first = await startCsvRun(p.admin, a.configId, csv([production[0]!]));
  await waitForRun(p.admin, first, ['awaiting_review']);
  await approveAndPromote(p.admin, first);
  const germain = (await p.t.ctx.db.query('SELECT listing_id FROM public.listing_info WHERE dmo_id = $1', [a.dmoId])).rows[0].listing_id;
  const b = await createCsvSource(p.admin, 'Twin Partner', 4, { transform: { map_fields: mapping } });
  // the same record twice under two ids: one match hash, so the second is a duplicate of the first
  const second = await startCsvRun(p.admin, b.configId, csv([incoming[0]!, { ...incoming[0]!, id: 'B-1-again' }]));
  await waitForRun(p.admin, second, ['awaiting_review']);
  const rows = await rowsBySource(second);
  expect(rows.get('B-1')).toMatchObject({ listing_id: germain, match_method: 'fuzzy', action: 'insert' });
  expect(rows.get('B-1-again')).toMatchObject({ listing_id: germain, match_method: 'fuzzy', action: 'duplicate', duplicate_of: rows.get('B-1').id });
  expect(rows.get('B-1-again').certainty_score).toBeGreaterThanOrEqual(0.8);
});
