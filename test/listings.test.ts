// The admin's listings API on real PostgreSQL, Redis and workers: accent-insensitive search, the
// soft-deleted lists, opening times in the detail, and manual visibility (hide, show, archive,
// unarchive), which sticks through the next import of the same data.
import { adminListingList, listingDetail } from '../src/contract/listings';
import { visibilityNotes as visibilityNoteTexts } from '../src/db/listings';
import type { TestContext } from './harness/context';
import { userWithRoles } from './harness/context';
import { ApiClient } from './harness/http';
import {
  approveAndPromote, createCsvSource, listingsCsv, makeListings, startCsvRun, startPipelineUnderTest, waitForRun,
  type ListingRow, type PipelineUnderTest,
} from './harness/pipeline';

jest.setTimeout(120_000);

let product: PipelineUnderTest;
let t: TestContext;
let admin: ApiClient;

beforeAll(async () => {
  product = await startPipelineUnderTest();
  ({ t, admin } = product);
});
afterAll(() => product.close());

const api = '/api/v1/pipeline';
const query = async (sql: string, params: unknown[] = []) => (await t.ctx.db.query(sql, params)).rows;
const stagedRows = async (runId: number) => (await admin.get(`${api}/staging/rows?jobId=${runId}&pageSize=500`)).body.rows as any[];

async function stageFile(configId: number, rows: ListingRow[]) {
  const runId = await startCsvRun(admin, configId, listingsCsv(rows));
  return { runId, run: await waitForRun(admin, runId, ['awaiting_review']) };
}

async function listingOf(dmoId: number, sourceId: string) {
  const [row] = await query('SELECT id, listing_id FROM public.listing_info WHERE dmo_id = $1 AND source_id = $2', [dmoId, sourceId]);
  const detail = await admin.get(`${api}/listings/${row.listing_id}`);
  expect(detail.status).toBe(200);
  return { infoId: row.id as number, listingId: row.listing_id as number, detail: listingDetail.parse(detail.body) };
}

const place = (id: string, name: string, city: string, description = `About ${name}.`): ListingRow =>
  ({ id, name, address: `${id} Rue Principale`, city, lat: '46.81', lng: '-71.21', description, email: '' });

describe('search', () => {
  it('finds names and cities whatever their accents and case; %, _ and their fullwidth forms are literal', async () => {
    const source = await createCsvSource(admin, 'Visit Search');
    await approveAndPromote(admin, (await stageFile(source.configId, [
      place('S1', 'Café du Vieux-Port', 'Québec'),
      place('S2', 'Hôtel Château Champlain', 'Montréal'),
      place('S3', '50% Off Souvenirs', 'Lévis'),
      place('S4', 'under_score bar', 'Gaspé'),
      place('S5', 'Underscore Bar', 'Gaspé'),
    ])).runId);
    const names = async (q: string) => {
      const reply = await admin.get(`${api}/listings?dmo_id=${source.dmoId}&q=${encodeURIComponent(q)}`);
      expect(reply.status).toBe(200);
      return adminListingList.parse(reply.body).rows.map((row) => row.name).sort();
    };
    expect(await names('quebec')).toEqual(['Café du Vieux-Port']);
    expect(await names('QUÉBEC')).toEqual(['Café du Vieux-Port']);
    expect(await names('cafe')).toEqual(['Café du Vieux-Port']);
    expect(await names('chateau')).toEqual(['Hôtel Château Champlain']);
    expect(await names('montreal')).toEqual(['Hôtel Château Champlain']);
    expect(await names('levis')).toEqual(['50% Off Souvenirs']);
    expect(await names('%')).toEqual(['50% Off Souvenirs']);
    expect(await names('％')).toEqual(['50% Off Souvenirs']);
    expect(await names('r_s')).toEqual(['under_score bar']);
    expect(await names('e_s')).toEqual([]); // as a wildcard it would match "Underscore"
    expect(await names('_')).toEqual(['under_score bar']);
    expect(await names('＿')).toEqual(['under_score bar']);
    expect(await names('gaspe')).toEqual(['Underscore Bar', 'under_score bar']);
    const tooLong = await admin.get(`${api}/listings?q=${'x'.repeat(201)}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toMatch(/^q: expected text of at most 200 characters/);
  });
});

describe('manual visibility', () => {
  it('a listing_info an admin hid stays hidden through an import of the same file; its staged row says so; show brings it back', async () => {
    const source = await createCsvSource(admin, 'Visit Hide');
    const rows = makeListings(3, 2_000);
    await approveAndPromote(admin, (await stageFile(source.configId, rows)).runId);
    const { infoId, listingId } = await listingOf(source.dmoId, 'L2000');

    const hidden = await admin.post(`${api}/listing-info/${infoId}/hide`);
    expect(hidden.status).toBe(200);
    const afterHide = listingDetail.parse(hidden.body);
    expect(afterHide.listing_info[0]).toMatchObject({ id: infoId, info_visible: false, info_status: 'removed' });
    // it was the listing's only visible listing_info: the listing goes down with it
    expect(afterHide).toMatchObject({ listing_visible: false, listing_status: 'removed' });
    expect(afterHide.timeline.filter((c) => c.change === 'hide').map((c) => [c.entity_type, c.field, c.old_value, c.new_value, c.user_id !== null]))
      .toEqual(expect.arrayContaining([
        ['listing_info', 'info_status', 'active', 'removed', true], ['listing', 'listing_status', 'active', 'removed', true]]));

    const again = await stageFile(source.configId, rows);
    expect(again.run.results).toMatchObject({ records_unchanged: 3, records_updated: 0, records_deleted: 0 });
    const row = (await stagedRows(again.runId)).find((r) => r.source_id === 'L2000');
    expect(row).toMatchObject({ action: 'unchanged', li_action: 'unchanged', l_action: 'unchanged', ok_to_promote: true });
    expect(row.warnings).toEqual([visibilityNoteTexts.infoHidden]);
    expect(row.warnings[0]).toMatch(/^hidden by an admin: promote keeps this listing_info hidden/);
    await approveAndPromote(admin, again.runId);
    const kept = (await listingOf(source.dmoId, 'L2000')).detail;
    expect(kept).toMatchObject({ listing_visible: false, listing_status: 'removed' });
    expect(kept.listing_info[0]).toMatchObject({ info_visible: false, info_status: 'removed' });

    // a change from the source still reaches the hidden record's data, not its visibility
    const changed = rows.map((r) => (r.id === 'L2000' ? { ...r, description: 'Renovated.' } : r));
    const update = await stageFile(source.configId, changed);
    expect((await stagedRows(update.runId)).find((r) => r.source_id === 'L2000'))
      .toMatchObject({ action: 'update', li_action: 'update', ok_to_promote: true, warnings: [visibilityNoteTexts.infoHidden] });
    await approveAndPromote(admin, update.runId);
    expect((await listingOf(source.dmoId, 'L2000')).detail.listing_info[0])
      .toMatchObject({ description: 'Renovated.', info_visible: false, info_status: 'removed' });

    const shown = await admin.post(`${api}/listing-info/${infoId}/show`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id: listingId, listing_visible: true, listing_status: 'active' });
    expect(shown.body.listing_info[0]).toMatchObject({ info_visible: true, info_status: 'active' });
    expect(shown.body.timeline.filter((c: any) => c.change === 'show').map((c: any) => [c.entity_type, c.new_value]))
      .toEqual(expect.arrayContaining([['listing_info', 'active'], ['listing', 'active']]));
    const after = await stageFile(source.configId, changed);
    const plain = (await stagedRows(after.runId)).find((r) => r.source_id === 'L2000');
    expect(plain).toMatchObject({ action: 'unchanged', warnings: [] });

    // hiding twice is harmless; what is not there is a 404; a viewer may not hide
    expect((await admin.post(`${api}/listing-info/${infoId}/hide`)).status).toBe(200);
    expect((await admin.post(`${api}/listing-info/${infoId}/hide`)).body.timeline.filter((c: any) => c.change === 'hide')).toHaveLength(4);
    expect((await admin.post(`${api}/listing-info/999999/hide`)).status).toBe(404);
    expect((await admin.post(`${api}/listing-info/999999/show`)).status).toBe(404);
    const viewer = await userWithRoles(t.ctx, ['viewer']);
    const viewerClient = await ApiClient.signedIn(product.server.url, viewer.email, viewer.password);
    expect((await viewerClient.post(`${api}/listing-info/${infoId}/show`)).status).toBe(403);
    expect((await viewerClient.post(`${api}/listings/${listingId}/archive`)).status).toBe(403);
  });

  it('hiding one DMO\'s record of a shared listing leaves the listing up for the other DMO', async () => {
    const first = await createCsvSource(admin, 'Visit Shared One');
    const second = await createCsvSource(admin, 'Visit Shared Two');
    const lighthouse = place('LH', 'Peggy\'s Point Lighthouse', 'Peggys Cove');
    await approveAndPromote(admin, (await stageFile(first.configId, [lighthouse])).runId);
    await approveAndPromote(admin, (await stageFile(second.configId, [{ ...lighthouse, description: 'Second DMO text.' }])).runId);
    const { infoId, listingId } = await listingOf(second.dmoId, 'LH');
    expect((await listingOf(first.dmoId, 'LH')).listingId).toBe(listingId);
    const hidden = (await admin.post(`${api}/listing-info/${infoId}/hide`)).body;
    expect(hidden).toMatchObject({ listing_visible: true, listing_status: 'active' });
    expect(hidden.listing_info.map((li: any) => [li.dmo_name, li.info_status])).toEqual([
      ['Visit Shared One', 'active'], ['Visit Shared Two', 'removed']]);
    // the other DMO's import does not bring it back either
    await approveAndPromote(admin, (await stageFile(first.configId, [lighthouse])).runId);
    await approveAndPromote(admin, (await stageFile(second.configId, [{ ...lighthouse, description: 'Second DMO text.' }])).runId);
    expect((await listingOf(second.dmoId, 'LH')).detail.listing_info.map((li) => li.info_status)).toEqual(['active', 'removed']);
  });

  it('an archived listing stays archived through an import of the same file; unarchive puts back what was there', async () => {
    const source = await createCsvSource(admin, 'Visit Archive');
    const rows = makeListings(3, 2_100);
    await approveAndPromote(admin, (await stageFile(source.configId, rows)).runId);
    const { infoId, listingId } = await listingOf(source.dmoId, 'L2101');

    const archived = await admin.post(`${api}/listings/${listingId}/archive`);
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ listing_visible: false, listing_status: 'archived' });
    // every DMO's record is off with the listing, and each keeps its own state for the un-archive
    expect(archived.body.listing_info[0]).toMatchObject({ id: infoId, info_visible: true, info_status: 'active' });
    expect(archived.body.timeline[0]).toMatchObject({ change: 'archive', entity_type: 'listing', field: 'listing_status',
      old_value: 'active', new_value: 'archived' });
    expect(archived.body.timeline[0].user_id).not.toBeNull();

    const changed = rows.map((r) => (r.id === 'L2101' ? { ...r, description: 'New owners.' } : r));
    const again = await stageFile(source.configId, changed);
    const row = (await stagedRows(again.runId)).find((r) => r.source_id === 'L2101');
    expect(row).toMatchObject({ action: 'update', li_action: 'update', l_action: 'unchanged', ok_to_promote: true,
      warnings: [visibilityNoteTexts.listingArchived] });
    await approveAndPromote(admin, again.runId);
    const kept = (await listingOf(source.dmoId, 'L2101')).detail;
    expect(kept).toMatchObject({ listing_visible: false, listing_status: 'archived' });
    expect(kept.listing_info[0]).toMatchObject({ description: 'New owners.', info_visible: true, info_status: 'active' });
    expect((await admin.get(`${api}/listings?status=archived&dmo_id=${source.dmoId}`)).body.rows.map((r: any) => r.id)).toEqual([listingId]);

    const unarchived = await admin.post(`${api}/listings/${listingId}/unarchive`);
    expect(unarchived.status).toBe(200);
    expect(unarchived.body).toMatchObject({ listing_visible: true, listing_status: 'active' });
    expect(unarchived.body.timeline[0]).toMatchObject({ change: 'unarchive', old_value: 'archived', new_value: 'active' });
    expect((await admin.post(`${api}/listings/${listingId}/unarchive`)).body.timeline.filter((c: any) => c.change === 'unarchive'))
      .toHaveLength(1);
    expect((await admin.post(`${api}/listings/999999/archive`)).status).toBe(404);
  });

  it('a listing that was soft-deleted before its archive comes back soft-deleted; an archived listing_info cannot be shown', async () => {
    const source = await createCsvSource(admin, 'Visit Archive Gone', 3, { import: { source_id_column: 'ID', max_delete_ratio: 0.5 } });
    const rows = makeListings(3, 2_200);
    await approveAndPromote(admin, (await stageFile(source.configId, rows)).runId);
    const shorter = await stageFile(source.configId, rows.slice(0, 2));
    await admin.post(`${api}/staging/review`, { jobId: shorter.runId, filter: { action: 'delete' }, decision: 'approve' });
    await approveAndPromote(admin, shorter.runId);
    const { infoId, listingId } = await listingOf(source.dmoId, 'L2202');
    await admin.post(`${api}/listings/${listingId}/archive`);
    const back = (await admin.post(`${api}/listings/${listingId}/unarchive`)).body;
    expect(back).toMatchObject({ listing_visible: false, listing_status: 'missing_from_import' });
    expect(back.timeline[0]).toMatchObject({ change: 'unarchive', old_value: 'archived', new_value: 'missing_from_import' });

    await t.ctx.db.query(`UPDATE public.listing_info SET info_status = 'archived' WHERE id = $1`, [infoId]);
    const refused = await admin.post(`${api}/listing-info/${infoId}/show`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(`Listing info ${infoId} is archived; only missing_from_import or removed listing info can be shown`);
  });

  it('a record an import soft-deleted that comes back is an update that restores it, on the timeline', async () => {
    const source = await createCsvSource(admin, 'Visit Comeback', 3, { import: { source_id_column: 'ID', max_delete_ratio: 0.5 } });
    const rows = makeListings(3, 2_300);
    await approveAndPromote(admin, (await stageFile(source.configId, rows)).runId);
    const shorter = await stageFile(source.configId, rows.slice(0, 2));
    await admin.post(`${api}/staging/review`, { jobId: shorter.runId, filter: { action: 'delete' }, decision: 'approve' });
    await approveAndPromote(admin, shorter.runId);
    const gone = (await listingOf(source.dmoId, 'L2302')).detail;
    expect(gone).toMatchObject({ listing_visible: false, listing_status: 'missing_from_import' });

    const full = await stageFile(source.configId, rows);
    expect(full.run.results).toMatchObject({ records_updated: 1, records_unchanged: 2 });
    const row = (await stagedRows(full.runId)).find((r) => r.source_id === 'L2302');
    expect(row).toMatchObject({ action: 'update', li_action: 'update', l_action: 'update', ok_to_promote: true, warnings: [] });
    await approveAndPromote(admin, full.runId);
    const back = (await listingOf(source.dmoId, 'L2302')).detail;
    expect(back).toMatchObject({ listing_visible: true, listing_status: 'active' });
    expect(back.listing_info[0]).toMatchObject({ info_visible: true, info_status: 'active' });
    expect(back.timeline.filter((c) => c.change === 'restore').map((c) => [c.entity_type, c.job_id]))
      .toEqual(expect.arrayContaining([['listing_info', full.runId], ['listing', full.runId]]));
  });
});

describe('soft-deleted lists', () => {
  it('status= lists listings by their own status, info_status= by a listing_info\'s, and rows say when a record is hidden', async () => {
    const source = await createCsvSource(admin, 'Visit Lists', 3, { import: { source_id_column: 'ID', max_delete_ratio: 0.5 } });
    const rows = makeListings(4, 2_400);
    await approveAndPromote(admin, (await stageFile(source.configId, rows)).runId);
    const shorter = await stageFile(source.configId, rows.filter((r) => r.id !== 'L2400'));
    await admin.post(`${api}/staging/review`, { jobId: shorter.runId, filter: { action: 'delete' }, decision: 'approve' });
    await approveAndPromote(admin, shorter.runId);
    const hidden = await listingOf(source.dmoId, 'L2401');
    await admin.post(`${api}/listing-info/${hidden.infoId}/hide`);
    const archived = await listingOf(source.dmoId, 'L2402');
    await admin.post(`${api}/listings/${archived.listingId}/archive`);

    const list = async (filter: string) => {
      const reply = await admin.get(`${api}/listings?dmo_id=${source.dmoId}&${filter}`);
      expect(reply.status).toBe(200);
      return adminListingList.parse(reply.body).rows.map((r) => [r.name, r.listing_status, r.has_hidden_info, r.hidden_info_count]);
    };
    expect(await list('status=missing_from_import')).toEqual([['Harbour Place 2400', 'missing_from_import', true, 1]]);
    expect(await list('status=removed')).toEqual([['Harbour Place 2401', 'removed', true, 1]]);
    expect(await list('status=archived')).toEqual([['Harbour Place 2402', 'archived', false, 0]]);
    expect(await list('status=active')).toEqual([['Harbour Place 2403', 'active', false, 0]]);
    expect(await list('info_status=removed')).toEqual([['Harbour Place 2401', 'removed', true, 1]]);
    expect(await list('visible=false')).toHaveLength(3);
    const bad = await admin.get(`${api}/listings?status=hidden`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe('status: expected one of active, missing_from_import, removed, archived, merged (got "hidden")');
  });
});

describe('listing detail', () => {
  it('shows each listing_info\'s opening dates and hours', async () => {
    const source = await createCsvSource(admin, 'Visit Hours', 3, { transform: { map_fields: {
      'listings.name': 'Name', 'locations.city': 'City', 'locations.lat': 'Latitude', 'locations.lng': 'Longitude',
      'opening_hours.text': 'Hours' } } });
    const runId = await startCsvRun(admin, source.configId,
      'ID,Name,City,Latitude,Longitude,Hours\nH1,Citadel,Halifax,44.6478,-63.5804,"Mon-Tue 09:00-17:00; Sat 10:00-14:00"\n');
    await waitForRun(admin, runId, ['awaiting_review']);
    await approveAndPromote(admin, runId);
    const { detail } = await listingOf(source.dmoId, 'H1');
    expect(detail.listing_info[0]!.opening).toEqual([expect.objectContaining({
      hours: [
        { day_id: 1, day: 'Monday', open_time: '09:00', close_time: '17:00' },
        { day_id: 2, day: 'Tuesday', open_time: '09:00', close_time: '17:00' },
        { day_id: 6, day: 'Saturday', open_time: '10:00', close_time: '14:00' },
      ] })]);
  });
});
