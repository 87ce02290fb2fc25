// DESIGN.md's Rules on CSV runs, through the API with real PostgreSQL, Redis and BullMQ workers:
// within-run duplicates, manual edits, two DMOs sharing a listing, and the mass-delete guard.
import type { TestContext } from './harness/context';
import { ImageServer } from './fixtures/image-server';
import { waitUntil } from './harness/wait';
import type { ApiClient } from './harness/http';
import {
  approveAndPromote, createCsvSource, listingsCsv, makeListings, startCsvRun, waitForRun, type ListingRow,
  startPipelineUnderTest, type PipelineUnderTest,
} from './harness/pipeline';

jest.setTimeout(120_000);

let product: PipelineUnderTest;
let t: TestContext;
let admin: ApiClient;

let imageHost: ImageServer;

beforeAll(async () => {
  product = await startPipelineUnderTest();
  imageHost = await ImageServer.start();
  for (const [i, name] of ['a', 'b', 'c'].entries()) await imageHost.servePicture(`/${name}.jpg`, 40 + i, 'jpeg', { width: 400, height: 300 });
  ({ t, admin } = product);
});
afterAll(async () => {
  await imageHost?.close();
  await product.close();
});

const query = async (sql: string, params: unknown[] = []) => (await t.ctx.db.query(sql, params)).rows;
const stagedRows = async (runId: number) =>
  (await admin.get(`/api/v1/pipeline/staging/rows?jobId=${runId}&pageSize=500`)).body.rows as any[];

async function stageFile(configId: number, rows: ListingRow[]) {
  const runId = await startCsvRun(admin, configId, listingsCsv(rows));
  return { runId, run: await waitForRun(admin, runId, ['awaiting_review']) };
}

function place(id: string, name: string, address: string, city = 'Halifax'): ListingRow {
  return { id, name, address, city, lat: '44.64880', lng: '-63.57520', description: `About ${name}.`, email: '' };
}

describe('within-run duplicates', () => {
  it('a repeated source_id or match_hash is a duplicate of the first row; chain branches at other addresses are not', async () => {
    const source = await createCsvSource(admin, 'Visit Duplicates');
    const file = [
      place('D1', 'Harbour Chowder House', '1 Water Street'),
      place('D2', 'Tim Hortons', '1 Main Street'),
      place('D3', 'Tim Hortons', '99 Spring Garden Road'), // a second branch of the chain in the same city
      place('D1', 'Harbour Chowder House (again)', '1 Water Street'), // the same source_id twice
      place('D4', 'TIM HORTONS', '1 Main Street'), // the same place as D2 under another id
      place('D5', 'Citadel Hill', '5425 Sackville Street'),
    ];
    const { runId, run } = await stageFile(source.configId, file);
    expect(run.results).toMatchObject({ records_total: 6, records_new: 4, records_duplicates: 2, records_error: 0 });

    const rows = await stagedRows(runId);
    const byLine = (line: number) => rows.find((r) => r.line === line);
    // line 1 is the header; the first record is on line 2
    expect(byLine(5)).toMatchObject({ source_id: 'D1', action: 'duplicate', ok_to_promote: false, duplicate_of: byLine(2).id });
    expect(byLine(6)).toMatchObject({ source_id: 'D4', action: 'duplicate', ok_to_promote: false, duplicate_of: byLine(3).id });
    expect(byLine(2)).toMatchObject({ action: 'insert', li_action: 'insert', ok_to_promote: true });
    expect(byLine(3)).toMatchObject({ action: 'insert', ok_to_promote: true });
    expect(byLine(4)).toMatchObject({ source_id: 'D3', action: 'insert', ok_to_promote: true });

    const promoted = await approveAndPromote(admin, runId);
    expect(promoted.promote_results).toMatchObject({ inserted: 4, listings_created: 4 });
    const branches = await query(
      `SELECT loc.address1 FROM public.listings l JOIN public.locations loc ON loc.id = l.location_id
        WHERE l.name = 'Tim Hortons' ORDER BY loc.address1`);
    expect(branches).toEqual([{ address1: '1 Main Street' }, { address1: '99 Spring Garden Road' }]);
    const chowder = await query(`SELECT l.name FROM public.listings l JOIN public.listing_info li ON li.listing_id = l.id
      WHERE li.dmo_id = $1 AND li.source_id = 'D1'`, [source.dmoId]);
    expect(chowder).toEqual([{ name: 'Harbour Chowder House' }]);
  });

  it('without an id column, the derived source_id makes a repeated record a duplicate and keeps branches apart', async () => {
    const source = await createCsvSource(admin, 'Visit Derived Ids', 3, { import: {} });
    const file = [
      place('', 'Pizza Corner', '10 Blowers Street'),
      place('', 'Pizza Corner', '2 Quinpool Road'),
      place('', 'PIZZA CORNER', '10 Blowers Street'),
    ];
    const { runId, run } = await stageFile(source.configId, file);
    expect(run.results).toMatchObject({ records_total: 3, records_new: 2, records_duplicates: 1 });
    const rows = await stagedRows(runId);
    expect(rows.map((r) => [r.line, r.action])).toEqual([[2, 'insert'], [3, 'insert'], [4, 'duplicate']]);
    expect(rows[2].source_id).toBe(rows[0].source_id);
    expect(rows[1].source_id).not.toBe(rows[0].source_id);
  });
});

describe('manual edits', () => {
  it('a manually edited listing keeps its edit under latest_wins and is not shown as an update by the next import', async () => {
    const source = await createCsvSource(admin, 'Visit Manual', 3);
    const original = makeListings(3, 500);
    const first = await stageFile(source.configId, original);
    await approveAndPromote(admin, first.runId);
    const listingId = (await query(`SELECT listing_id FROM public.listing_info WHERE dmo_id = $1 AND source_id = 'L501'`,
      [source.dmoId]))[0].listing_id;

    const edit = await admin.patch(`/api/v1/pipeline/listings/${listingId}`, {
      name: 'Harbour Place 501 (renovated)', location: { lat: 44.7 },
    });
    expect(edit.status).toBe(200);
    expect(edit.body).toMatchObject({ name: 'Harbour Place 501 (renovated)', manually_modified: true, fields_changed: 2 });
    expect(edit.body.timeline.filter((c: any) => c.user_id !== null).map((c: any) => c.field).sort()).toEqual(['lat', 'name']);

    // the source sends what it sent before: nothing to update, the edit stays
    const same = await stageFile(source.configId, original);
    expect(same.run.results).toMatchObject({ records_updated: 0, records_unchanged: 3 });
    const row = (await stagedRows(same.runId)).find((r) => r.source_id === 'L501');
    const diff = (await admin.get(`/api/v1/pipeline/staging/rows/${row.id}`)).body;
    expect(diff.production.manually_modified).toBe(true);
    expect(diff.diff.find((d: any) => d.field === 'name')).toMatchObject({ staged: 'Harbour Place 501', changed: true });
    await approveAndPromote(admin, same.runId);

    // the source changes the name: staged as an update, but promote keeps the person's edit
    const renamed = original.map((r) => (r.id === 'L501' ? { ...r, name: 'Harbour Place 501 Inn' } : r));
    const change = await stageFile(source.configId, renamed);
    expect(change.run.results).toMatchObject({ records_updated: 1, records_unchanged: 2 });
    const promoted = await approveAndPromote(admin, change.runId);
    expect(promoted.promote_results).toMatchObject({ updated: 1 });
    const kept = (await admin.get(`/api/v1/pipeline/listings/${listingId}`)).body;
    expect(kept).toMatchObject({ name: 'Harbour Place 501 (renovated)', manually_modified: true });
    expect(Number(kept.location.lat)).toBe(44.7);

    // and the same file again is not an endless update
    const again = await stageFile(source.configId, renamed);
    expect(again.run.results).toMatchObject({ records_updated: 0, records_unchanged: 3 });
    await approveAndPromote(admin, again.runId);

    // with override_manual the source's values win
    const patched = await admin.patch(`/api/v1/pipeline/configs/${source.configId}`, {
      config_params: { import: { source_id_column: 'ID' }, transform: { map_fields: (await configParams(source.configId)).transform.map_fields },
        promote: { override_manual: true } },
    });
    expect(patched.status).toBe(200);
    const overriding = await stageFile(source.configId, renamed.map((r) => (r.id === 'L501' ? { ...r, name: 'Harbour Place 501 Hotel' } : r)));
    await approveAndPromote(admin, overriding.runId);
    expect((await admin.get(`/api/v1/pipeline/listings/${listingId}`)).body.name).toBe('Harbour Place 501 Hotel');
  });

  it('an edit names what is wrong and leaves the listing as it was', async () => {
    const listing = (await query('SELECT id, name FROM public.listings ORDER BY id LIMIT 1'))[0];
    const bad = await admin.patch(`/api/v1/pipeline/listings/${listing.id}`, { name: '', location: { lat: 123 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/name: a listing needs a name/);
    expect(bad.body.error.message).toMatch(/location\.lat/);
    const unknown = await admin.patch(`/api/v1/pipeline/listings/${listing.id}`, { listing_visible: false });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/listing_visible/);
    const nothing = await admin.patch(`/api/v1/pipeline/listings/${listing.id}`, { location: {} });
    expect(nothing.status).toBe(400);
    expect(nothing.body.error.message).toMatch(/say what to change/);
    expect((await admin.patch('/api/v1/pipeline/listings/999999', { name: 'x' })).status).toBe(404);
    const tooBig = await admin.get('/api/v1/pipeline/listings/99999999999');
    expect(tooBig.status).toBe(400);
    expect(tooBig.body.error.message).toBe('Path parameter id must be a whole number from 1 to 2147483647 (got "99999999999")');
    expect((await admin.get('/api/v1/pipeline/listings?dmo_id=99999999999')).body.error.message).toMatch(/^dmo_id: /);
    expect((await query('SELECT name, manually_modified FROM public.listings WHERE id = $1', [listing.id]))[0])
      .toEqual({ name: listing.name, manually_modified: false });
  });

  it('an edit that clears a field stores no value, not an empty string', async () => {
    const listing = (await query('SELECT id FROM public.listings WHERE category IS NULL ORDER BY id LIMIT 1'))[0];
    const edit = await admin.patch(`/api/v1/pipeline/listings/${listing.id}`, { category: 'Café', location: { zip: '  ' } });
    expect(edit.body).toMatchObject({ category: 'Café', fields_changed: 1 });
    const cleared = await admin.patch(`/api/v1/pipeline/listings/${listing.id}`, { category: '' });
    expect(cleared.body).toMatchObject({ category: null, fields_changed: 1 });
  });
});

async function configParams(configId: number) {
  return (await admin.get(`/api/v1/pipeline/configs/${configId}`)).body.config_params;
}

describe('two DMOs bringing the same place', () => {
  it('share one listing with two listing_info, and the name follows the source with more authority', async () => {
    const scraped = await createCsvSource(admin, 'Scraped Guide', 1);
    const client = await createCsvSource(admin, 'Visit Lunenburg', 3);
    const scrapedCafe = { ...place('S-77', 'CAFE DU PORT', '12 Montague Street', 'Lunenburg'), description: 'Coffee.' };
    const clientCafe = { ...place('LUN-1', 'Café du Port', '12 Montague Street', 'Lunenburg'), description: 'Our harbour café.' };

    const first = await stageFile(scraped.configId, [scrapedCafe]);
    await approveAndPromote(admin, first.runId);

    const second = await stageFile(client.configId, [clientCafe]);
    const [row] = await stagedRows(second.runId);
    expect(row).toMatchObject({ action: 'insert', li_action: 'insert', l_action: 'update', match_method: 'match_hash' });
    expect(row.listing_id).not.toBeNull();
    const promoted = await approveAndPromote(admin, second.runId);
    expect(promoted.promote_results).toMatchObject({ inserted: 1, listings_created: 0 });

    const listings = await query(`SELECT l.id, l.name, l.owner_dmo_id FROM public.listings l
      JOIN public.listing_info li ON li.listing_id = l.id WHERE li.dmo_id IN ($1, $2) GROUP BY l.id`, [scraped.dmoId, client.dmoId]);
    expect(listings).toEqual([{ id: row.listing_id, name: 'Café du Port', owner_dmo_id: client.dmoId }]);
    const detail = (await admin.get(`/api/v1/pipeline/listings/${row.listing_id}`)).body;
    expect(detail.listing_info.map((li: any) => [li.dmo_name, li.description])).toEqual([
      ['Scraped Guide', 'Coffee.'], ['Visit Lunenburg', 'Our harbour café.']]);
    expect(detail.sources).toHaveLength(4);

    // the scraped source renames it: its own text follows, the shared name stays the client's
    const renamed = await stageFile(scraped.configId, [{ ...scrapedCafe, name: 'Cafe du Port!', description: 'Coffee and cake.' }]);
    await approveAndPromote(admin, renamed.runId);
    const after = (await admin.get(`/api/v1/pipeline/listings/${row.listing_id}`)).body;
    expect(after.name).toBe('Café du Port');
    expect(after.listing_info[0].description).toBe('Coffee and cake.');
  });
});

describe('the mass-delete guard', () => {
  it('a truncated file that would delete most of a DMO proposes no deletes and says why', async () => {
    const source = await createCsvSource(admin, 'Visit Truncated', 3);
    const all = makeListings(20, 700);
    await approveAndPromote(admin, (await stageFile(source.configId, all)).runId);

    const truncated = await stageFile(source.configId, all.slice(0, 8));
    expect(truncated.run.delete_guard).toMatch(/would delete 12 of the DMO's 20 visible listings \(60%\).*max_delete_ratio allows \(20%\)/);
    expect(truncated.run.results).toMatchObject({ records_total: 8, records_unchanged: 8, records_deleted: 12 });
    const deletes = (await admin.get(`/api/v1/pipeline/staging/rows?jobId=${truncated.runId}&action=delete&pageSize=500`)).body;
    expect(deletes.total).toBe(12);
    for (const row of deletes.rows) {
      expect(row.ok_to_promote).toBe(false);
      expect(row.warnings.join(' ')).toMatch(/mass-delete guard/);
    }
    await approveAndPromote(admin, truncated.runId);
    const visible = await query('SELECT count(*)::int AS n FROM public.listing_info WHERE dmo_id = $1 AND info_visible', [source.dmoId]);
    expect(visible[0].n).toBe(20);
  });
});

describe('dependent objects', () => {
  const header = 'ID,Name,City,Latitude,Longitude,Category,Phone,Website,Photos,Amenities,Hours';
  const mapping = {
    'listings.name': 'Name', 'locations.city': 'City', 'locations.lat': 'Latitude', 'locations.lng': 'Longitude',
    'listings.category': 'Category', 'contact_info.local_phone': 'Phone', 'contact_info.website_url': 'Website',
    'listing_images.image': 'Photos', 'attributes.names': 'Amenities', 'opening_hours.text': 'Hours',
  };
  const museum = (photos: string, amenities: string, hours: string, phone = '902-555-0100') =>
    `${header}\nM1,Maritime Museum,Halifax,44.64880,-63.57060,Museum,${phone},https://museum.example.org,"${photos}","${amenities}","${hours}"\n`;

  const imagesFetched = (runId: number) => waitUntil(`the images of run ${runId}`, async () =>
    (await admin.get(`/api/v1/pipeline/jobs/${runId}/images`)).body.counts?.pending === 0 || null);

  async function production(dmoId: number) {
    const [info] = await query(`SELECT li.id, li.listing_id, ci.local_phone, ci.website_url, l.category
      FROM public.listing_info li JOIN public.listings l ON l.id = li.listing_id
      LEFT JOIN public.contact_info ci ON ci.id = li.contact_info_id WHERE li.dmo_id = $1`, [dmoId]);
    // production holds our stored copies: which source URL each came from is the store's record
    const images = await query(`SELECT i.rank, i.image, s.source_url FROM public.listing_images i
      LEFT JOIN pipeline.stored_images s ON s.canonical_url = i.image WHERE i.listing_info_id = $1 ORDER BY i.rank`, [info.id]);
    expect(images.every((image) => image.image.startsWith('/images/dev-images/'))).toBe(true);
    const attributes = await query(`SELECT a.name FROM public.bridge_attributes_listings b JOIN public.ref_attributes a ON a.id = b.attribute_id
      WHERE b.listing_id = $1 ORDER BY a.name`, [info.listing_id]);
    const hours = await query(`SELECT d.start_date, h.day_id, h.open_time, h.close_time FROM public.opening_dates d
      JOIN public.opening_hours h ON h.opening_date_id = d.id WHERE d.listing_info_id = $1 ORDER BY h.day_id, h.open_time`, [info.id]);
    return { info, images: images.map((i) => [i.rank, i.source_url]), attributes: attributes.map((a) => a.name),
      hours: hours.map((h) => `${h.day_id} ${h.open_time}-${h.close_time}`) };
  }

  it('promote writes contact, images in order, attributes and opening hours, and replaces the lists when they change', async () => {
    const source = await createCsvSource(admin, 'Visit Museums', 3, { transform: { map_fields: mapping } });
    const first = await startCsvRun(admin, source.configId,
      museum(`${imageHost.url('/a.jpg')}|${imageHost.url('/b.jpg')}`, 'Wheelchair access|Gift shop', 'Mon-Fri 09:00-17:00; Sat 10:00-14:00'));
    await waitForRun(admin, first, ['awaiting_review']);
    await imagesFetched(first);
    await approveAndPromote(admin, first);
    const before = await production(source.dmoId);
    expect(before.info).toMatchObject({ local_phone: '902-555-0100', website_url: 'https://museum.example.org', category: 'Museum' });
    expect(before.images).toEqual([[0, imageHost.url('/a.jpg')], [1, imageHost.url('/b.jpg')]]);
    expect(before.attributes).toEqual(['Gift shop', 'Wheelchair access']);
    expect(before.hours).toEqual(['1 09:00-17:00', '2 09:00-17:00', '3 09:00-17:00', '4 09:00-17:00', '5 09:00-17:00', '6 10:00-14:00']);

    const second = await startCsvRun(admin, source.configId,
      museum(imageHost.url('/c.jpg'), 'Gift shop|Café', 'Sat-Sun 10:00-16:00'));
    await waitForRun(admin, second, ['awaiting_review']);
    await imagesFetched(second);
    const [row] = await stagedRows(second);
    expect(row).toMatchObject({ action: 'update', images_action: 'update', attributes_action: 'update', open_action: 'update',
      contact_action: 'unchanged', li_action: 'unchanged', l_action: 'unchanged' });
    await approveAndPromote(admin, second);
    const after = await production(source.dmoId);
    expect(after.images).toEqual([[0, imageHost.url('/c.jpg')]]);
    expect(after.attributes).toEqual(['Café', 'Gift shop']);
    expect(after.hours).toEqual(['6 10:00-16:00', '7 10:00-16:00']);
  });

  it('a listing_info that came without a contact row gets one when its source sends contact details', async () => {
    const source = await createCsvSource(admin, 'Visit Legacy', 3, { transform: { map_fields: mapping } });
    const first = await startCsvRun(admin, source.configId, museum('', '', ''));
    await waitForRun(admin, first, ['awaiting_review']);
    await approveAndPromote(admin, first);
    // as records migrated from an older system are: no contact row at all
    await t.ctx.db.query('UPDATE public.listing_info SET contact_info_id = NULL WHERE dmo_id = $1', [source.dmoId]);

    const second = await startCsvRun(admin, source.configId, museum('', '', '', '902-555-0199'));
    await waitForRun(admin, second, ['awaiting_review']);
    await approveAndPromote(admin, second);
    expect((await production(source.dmoId)).info).toMatchObject({ local_phone: '902-555-0199', website_url: 'https://museum.example.org' });
    const logged = await query(`SELECT field, new_value FROM pipeline.change_log WHERE job_id = $1 AND entity_type = 'contact_info'
      ORDER BY field`, [second]);
    expect(logged).toEqual([{ field: 'local_phone', new_value: '902-555-0199' }, { field: 'website_url', new_value: 'https://museum.example.org' }]);
  });
});

describe('stale runs', () => {
  it('a new run of a config supersedes its earlier unpromoted run, which can then not be promoted', async () => {
    const source = await createCsvSource(admin, 'Visit Stale');
    const older = await stageFile(source.configId, makeListings(3, 900));
    const newer = await stageFile(source.configId, makeListings(4, 900));
    const old = (await admin.get(`/api/v1/pipeline/jobs/${older.runId}`)).body;
    expect(old).toMatchObject({ status: 'superseded', error_summary: `Superseded by run ${newer.runId}` });
    const refused = await admin.post('/api/v1/pipeline/staging/promote', { jobId: older.runId });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/superseded/);
    expect((await approveAndPromote(admin, newer.runId)).promote_results).toMatchObject({ inserted: 4, listings_created: 4 });
  });

  it('an insert staged before another run created the same record updates it instead of making a second listing', async () => {
    const first = await createCsvSource(admin, 'Visit Two Feeds');
    // a second config of the same DMO, e.g. a second export of the same system
    const second = (await admin.post('/api/v1/pipeline/configs', {
      dmo_id: first.dmoId, source_type: 'csv',
      config_params: { import: { source_id_column: 'ID', full_snapshot: false }, transform: { map_fields: (await configParams(first.configId)).transform.map_fields } },
    })).body;
    const rows = makeListings(2, 950);
    const a = await stageFile(first.configId, rows);
    const b = await stageFile(second.id, rows.map((r) => ({ ...r, description: `${r.description} Newly renovated.` })));
    expect(b.run.results).toMatchObject({ records_new: 2 }); // both runs see the records as new

    await approveAndPromote(admin, a.runId);
    const promoted = await approveAndPromote(admin, b.runId);
    expect(promoted.promote_results).toMatchObject({ inserted: 0, updated: 2, listings_created: 0 });
    const infos = await query(`SELECT source_id, description FROM public.listing_info WHERE dmo_id = $1 ORDER BY source_id`, [first.dmoId]);
    expect(infos).toEqual([
      { source_id: 'L950', description: 'A fine place number 950, by the sea. Newly renovated.' },
      { source_id: 'L951', description: 'A fine place number 951, by the sea. Newly renovated.' },
    ]);
    const listings = await query(`SELECT count(DISTINCT listing_id)::int AS n FROM public.listing_info WHERE dmo_id = $1`, [first.dmoId]);
    expect(listings[0].n).toBe(2);
    const bridge = await query('SELECT count(*)::int AS n FROM pipeline.bridge_source_target WHERE dmo_id = $1', [first.dmoId]);
    expect(bridge[0].n).toBe(4);
  });
});

describe('restoring a soft-deleted listing', () => {
  it('a listing an import removed is listed as hidden and comes back with POST /listing-info/:id/restore', async () => {
    const source = await createCsvSource(admin, 'Visit Restore', 3, { import: { source_id_column: 'ID', max_delete_ratio: 0.5 } });
    const rows = makeListings(3, 1_100);
    await approveAndPromote(admin, (await stageFile(source.configId, rows)).runId);
    const shorter = await stageFile(source.configId, rows.slice(0, 2));
    await admin.post('/api/v1/pipeline/staging/review', { jobId: shorter.runId, filter: { action: 'delete' }, decision: 'approve' });
    await approveAndPromote(admin, shorter.runId);

    const hidden = (await admin.get(`/api/v1/pipeline/listings?dmo_id=${source.dmoId}&visible=false`)).body;
    expect(hidden.rows.map((l: any) => l.name)).toEqual(['Harbour Place 1102']);
    const gone = (await admin.get(`/api/v1/pipeline/listings/${hidden.rows[0].id}`)).body;
    expect(gone.listing_info[0]).toMatchObject({ info_visible: false, info_status: 'missing_from_import' });

    const restored = await admin.post(`/api/v1/pipeline/listing-info/${gone.listing_info[0].id}/restore`, {});
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ listing_visible: true, listing_status: 'active' });
    expect(restored.body.listing_info[0]).toMatchObject({ info_visible: true, info_status: 'active' });
    expect(restored.body.timeline.filter((c: any) => c.change === 'restore').map((c: any) => [c.entity_type, c.user_id !== null]))
      .toEqual(expect.arrayContaining([['listing_info', true], ['listing', true]]));
    expect((await admin.get(`/api/v1/pipeline/listings?dmo_id=${source.dmoId}&visible=false`)).body.total).toBe(0);
    expect((await admin.post('/api/v1/pipeline/listing-info/999999/restore', {})).status).toBe(404);

    // an archived listing_info stays archived
    await t.ctx.db.query(`UPDATE public.listing_info SET info_visible = false, info_status = 'archived' WHERE id = $1`,
      [gone.listing_info[0].id]);
    const archived = await admin.post(`/api/v1/pipeline/listing-info/${gone.listing_info[0].id}/restore`, {});
    expect(archived.status).toBe(409);
    expect(archived.body.error.message).toMatch(/is archived; only missing_from_import or removed listing info can be restored/);
  });
});

describe('review decisions', () => {
  it('rejected rows are not promoted; a duplicate by match hash can be overridden to an insert of its own', async () => {
    const source = await createCsvSource(admin, 'Visit Review');
    const { runId } = await stageFile(source.configId, [
      place('R1', 'Fish Shack', '1 Wharf Road'),
      place('R2', 'FISH SHACK', '1 Wharf Road'), // the same place by match hash: a person says it is a second stall
      place('R3', 'Lighthouse', '2 Point Road'),
      place('R4', 'Old Mill', '3 Mill Lane'),
    ]);
    const rows = await stagedRows(runId);
    const bySource = (id: string) => rows.find((r) => r.source_id === id);
    expect(bySource('R2')).toMatchObject({ action: 'duplicate', ok_to_promote: false });

    const rejected = await admin.post('/api/v1/pipeline/staging/review', { jobId: runId, ids: [bySource('R4').id], decision: 'reject' });
    expect(rejected.body).toEqual({ updated: 1 });
    const override = await admin.post('/api/v1/pipeline/staging/review', {
      jobId: runId, ids: [bySource('R2').id], decision: 'approve', override_action: 'insert' });
    expect(override.body).toEqual({ updated: 1 });
    const run = (await admin.get(`/api/v1/pipeline/jobs/${runId}`)).body;
    expect(run.results).toMatchObject({ records_new: 4, records_duplicates: 0 });

    const promoted = await approveAndPromote(admin, runId);
    expect(promoted.promote_results).toMatchObject({ inserted: 3, listings_created: 3, skipped: 1 });
    const names = await query(`SELECT li.source_id FROM public.listing_info li WHERE li.dmo_id = $1 ORDER BY li.source_id`, [source.dmoId]);
    expect(names.map((r) => r.source_id)).toEqual(['R1', 'R2', 'R3']);
  });

  it('a rejection by filter reaches rows approved in bulk before; an override by filter decides the rows it changed', async () => {
    const source = await createCsvSource(admin, 'Visit Review Filters');
    const { runId } = await stageFile(source.configId, [
      place('F1', 'Tide Pool', '1 Shore Road'), place('F2', 'TIDE POOL', '1 Shore Road'), place('F3', 'Dock Bar', '2 Shore Road'),
    ]);
    const approved = await admin.post('/api/v1/pipeline/staging/review', { jobId: runId, filter: { proposed: true }, decision: 'approve' });
    expect(approved.body).toEqual({ updated: 2 });
    const rejected = await admin.post('/api/v1/pipeline/staging/review', { jobId: runId, filter: { action: 'insert' }, decision: 'reject' });
    expect(rejected.body).toEqual({ updated: 2 });
    const overridden = await admin.post('/api/v1/pipeline/staging/review', {
      jobId: runId, filter: { action: 'duplicate' }, decision: 'approve', override_action: 'insert' });
    expect(overridden.body).toEqual({ updated: 1 });
    expect((await stagedRows(runId)).map((r) => [r.source_id, r.action, r.review_status])).toEqual([
      ['F1', 'insert', 'rejected'], ['F2', 'insert', 'approved'], ['F3', 'insert', 'rejected']]);
    const promote = await admin.post('/api/v1/pipeline/staging/promote', { jobId: runId });
    expect(promote.status).toBe(202);
    expect((await waitForRun(admin, runId, ['promoted'])).promote_results).toMatchObject({ inserted: 1, skipped: 2 });
  });

  it('a repeated source id cannot be overridden to an insert: one source record is one listing_info', async () => {
    const source = await createCsvSource(admin, 'Visit Review Twice');
    const { runId } = await stageFile(source.configId, [place('T1', 'Dune Walk', '1 Beach Road'), place('T1', 'Dune Walk Two', '9 Beach Road')]);
    const second = (await stagedRows(runId)).find((r) => r.action === 'duplicate');
    const override = await admin.post('/api/v1/pipeline/staging/review', {
      jobId: runId, ids: [second.id], decision: 'approve', override_action: 'insert' });
    expect(override.status).toBe(409);
    expect(override.body.error.message).toMatch(/source_id T1/);
    const promoted = await approveAndPromote(admin, runId);
    expect(promoted.promote_results).toMatchObject({ inserted: 1, listings_created: 1 });
  });
});
