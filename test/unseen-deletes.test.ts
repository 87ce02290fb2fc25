// Sources that are not full snapshots (APIs paging through changes, scrapes that may miss a page):
// a record is proposed for a soft delete only after import.unseen_runs_before_delete runs of its
// config in a row missed it, with that reason on the row; seen again, an update restores it.
import {
  approveAndPromote, createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun,
  type PipelineUnderTest,
} from './harness/pipeline';

let pipeline: PipelineUnderTest;
beforeAll(async () => (pipeline = await startPipelineUnderTest()));
afterAll(async () => pipeline?.close());

async function stage(configId: number, rows: ReturnType<typeof makeListings>) {
  const runId = await startCsvRun(pipeline.admin, configId, listingsCsv(rows));
  return waitForRun(pipeline.admin, runId, ['awaiting_review']);
}
const rowsOf = async (runId: number, action: string) =>
  (await pipeline.admin.get(`/api/v1/pipeline/staging/rows?jobId=${runId}&action=${action}&pageSize=100`)).body.rows as any[];

test('a record missed by 2 runs in a row is proposed for deletion with the reason; back again, it is restored', async () => {
  const { configId, dmoId } = await createCsvSource(pipeline.admin, 'Visit Partial Feed', 3, {
    import: { source_id_column: 'ID', full_snapshot: false, unseen_runs_before_delete: 2 },
  });
  const all = makeListings(10, 900);
  const withoutTwo = all.filter((row) => row.id !== 'L903' && row.id !== 'L907');
  await approveAndPromote(pipeline.admin, (await stage(configId, all)).id);

  // the first run without them: not yet
  const first = await stage(configId, withoutTwo);
  expect(first.results).toMatchObject({ records_total: 8, records_unchanged: 8, records_deleted: 0 });
  // a run the admin never promoted still counts as a run that missed them (it is superseded by the next)
  const second = await stage(configId, withoutTwo);
  expect(second.results).toMatchObject({ records_total: 8, records_unchanged: 8, records_deleted: 2 });
  expect((await pipeline.admin.get(`/api/v1/pipeline/jobs/${first.id}`)).body.status).toBe('superseded');
  const deletes = await rowsOf(second.id, 'delete');
  expect(deletes.map((row) => row.source_id).sort()).toEqual(['L903', 'L907']);
  for (const row of deletes) {
    expect(row.ok_to_promote).toBe(false);
    expect(row.warnings).toContain('not seen in the last 2 runs of this config (import.unseen_runs_before_delete)');
  }
  await pipeline.admin.post('/api/v1/pipeline/staging/review', { jobId: second.id, filter: { action: 'delete' }, decision: 'approve' });
  await approveAndPromote(pipeline.admin, second.id);
  const hidden = (await pipeline.admin.get(`/api/v1/pipeline/listings?dmo_id=${dmoId}&visible=false`)).body.rows;
  expect(hidden.map((listing: any) => listing.name).sort()).toEqual(['Harbour Place 903', 'Harbour Place 907']);

  // one comes back: an update that restores it; the other is not proposed again (it is already hidden)
  const back = await stage(configId, all.filter((row) => row.id !== 'L907'));
  expect(back.results).toMatchObject({ records_total: 9, records_updated: 1, records_unchanged: 8, records_deleted: 0 });
  expect((await rowsOf(back.id, 'update')).map((row) => row.source_id)).toEqual(['L903']);
  await approveAndPromote(pipeline.admin, back.id);
  const stillHidden = (await pipeline.admin.get(`/api/v1/pipeline/listings?dmo_id=${dmoId}&visible=false`)).body.rows;
  expect(stillHidden.map((listing: any) => listing.name)).toEqual(['Harbour Place 907']);
});

test('another config of the same DMO does not count: only runs of the config that delivered a record', async () => {
  const feed = await createCsvSource(pipeline.admin, 'Visit Two Feeds', 3, {
    import: { source_id_column: 'ID', full_snapshot: false, unseen_runs_before_delete: 1 },
  });
  const other = (await pipeline.admin.post('/api/v1/pipeline/configs', {
    dmo_id: feed.dmoId, source_type: 'csv',
    config_params: { import: { source_id_column: 'ID', full_snapshot: false, unseen_runs_before_delete: 1 },
      transform: { map_fields: { 'listings.name': 'Name', 'locations.address1': 'Address', 'locations.city': 'City',
        'locations.lat': 'Latitude', 'locations.lng': 'Longitude', 'listing_info.description': 'Description', 'contact_info.email': 'Email' } } },
  })).body;
  await approveAndPromote(pipeline.admin, (await stage(feed.configId, makeListings(3, 950))).id);
  // the other config delivers other records of the DMO: the first feed's records are not its to miss
  const second = await stage(other.id, makeListings(2, 960));
  expect(second.results).toMatchObject({ records_new: 2, records_deleted: 0 });
  // the first feed missing one of its own, with a rule of 1 run: proposed at once
  const missed = await stage(feed.configId, makeListings(2, 950));
  expect(missed.results).toMatchObject({ records_unchanged: 2, records_deleted: 1 });
  expect((await rowsOf(missed.id, 'delete')).map((row) => row.source_id)).toEqual(['L952']);
});

test('a full snapshot config ignores the rule: whatever the run missed is proposed at once', async () => {
  const { configId } = await createCsvSource(pipeline.admin, 'Visit Snapshot', 3, {
    import: { source_id_column: 'ID', unseen_runs_before_delete: 5 },
  });
  await approveAndPromote(pipeline.admin, (await stage(configId, makeListings(10, 980))).id);
  const run = await stage(configId, makeListings(9, 980));
  expect(run.results).toMatchObject({ records_deleted: 1 });
  expect((await rowsOf(run.id, 'delete'))[0].warnings).toEqual([]);
});

test('0 runs means never: a feed of changes only proposes no deletion however long a record is missed', async () => {
  const { configId } = await createCsvSource(pipeline.admin, 'Visit Change Feed', 3, {
    import: { source_id_column: 'ID', full_snapshot: false, unseen_runs_before_delete: 0 },
  });
  await approveAndPromote(pipeline.admin, (await stage(configId, makeListings(5, 990))).id);
  for (let i = 0; i < 2; i += 1) {
    const changes = await stage(configId, makeListings(1, 990));
    expect(changes.results).toMatchObject({ records_total: 1, records_deleted: 0 });
  }
});
