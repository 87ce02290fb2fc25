// The Mappings API on real PostgreSQL, Redis and workers: source records ↔ listings as promoted runs
// made them, the three kinds of conflict, force-match and unmerge as production and both timelines
// show them (and the next import honours), two force-matches of one record at once, bad bodies.
import { listingDetail } from '../src/contract/listings';
import { mappingChangeReply, mappingList, type MappingRow } from '../src/contract/mappings';
import type { TestContext } from './harness/context';
import { userWithRoles } from './harness/context';
import { ApiClient } from './harness/http';
import {
  approveAndPromote, createCsvSource, listingsCsv, startCsvRun, startPipelineUnderTest, waitForRun, type ListingRow, type PipelineUnderTest,
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

/** A place; each id gets its own point (about a kilometre apart), so fuzzy matching sees different places. */
const place = (id: string, name: string, city: string, address = `${id} Water Street`): ListingRow => {
  const n = [...id].reduce((sum, c) => sum * 31 + c.charCodeAt(0), 7) % 1000;
  return { id, name, address, city, lat: (44 + n / 100).toFixed(5), lng: (-63 - n / 100).toFixed(5), description: `About ${name}.`, email: '' };
};

/** Stages a file through the real pipeline, approves what it proposes and promotes it. */
async function importFile(configId: number, rows: ListingRow[]) {
  const runId = await startCsvRun(admin, configId, listingsCsv(rows));
  const run = await waitForRun(admin, runId, ['awaiting_review']);
  await approveAndPromote(admin, runId);
  return { runId, run };
}

async function listingOf(dmoId: number, sourceId: string) {
  const [row] = await query('SELECT id, listing_id FROM public.listing_info WHERE dmo_id = $1 AND source_id = $2', [dmoId, sourceId]);
  return { infoId: row.id as number, listingId: row.listing_id as number };
}

async function detail(listingId: number) {
  const reply = await admin.get(`${api}/listings/${listingId}`);
  expect(reply.status).toBe(200);
  return listingDetail.parse(reply.body);
}

async function mappings(params: string): Promise<MappingRow[]> {
  const reply = await admin.get(`${api}/mappings?${params}`);
  expect(reply.status).toBe(200);
  return mappingList.parse(reply.body).rows;
}

const bridgeOf = async (dmoId: number, sourceId: string) => Object.fromEntries((await query(
  'SELECT target_type, target_id, certainty_score, match_method, job_id FROM pipeline.bridge_source_target WHERE dmo_id = $1 AND source_id = $2',
  [dmoId, sourceId])).map((row) => [row.target_type, row]));

describe('the list', () => {
  it('shows each source record with its listing, DMO, certainty and run; filters by listing, DMO and source id', async () => {
    const client = await createCsvSource(admin, 'Visit Harbour List', 3);
    const partner = await createCsvSource(admin, 'Harbour Food Trails', 4);
    const inn = place('HL-1', 'Harbour Inn', 'Halifax');
    // a place of the client's only, listed first (a lower listing id): rows come by listing, then DMO
    await importFile(client.configId, [place('HL-0', 'Citadel Hill', 'Halifax')]);
    const first = await importFile(client.configId, [place('HL-0', 'Citadel Hill', 'Halifax'), inn]);
    // the partner's record has the same name and address: the match hash puts it on the same listing
    const second = await importFile(partner.configId, [{ ...inn, id: 'FT-9', description: 'Stop 4 of the trail.' }]);
    const { listingId, infoId } = await listingOf(client.dmoId, 'HL-1');
    expect((await listingOf(partner.dmoId, 'FT-9')).listingId).toBe(listingId);

    const onListing = await mappings(`listing_id=${listingId}`);
    expect(onListing.map((row) => [row.dmo_name, row.source_id])).toEqual([['Visit Harbour List', 'HL-1'], ['Harbour Food Trails', 'FT-9']]);
    expect(onListing[0]).toMatchObject({
      dmo_id: client.dmoId, listing_info_id: infoId, listing_id: listingId, info_listing_id: listingId, listing_name: 'Harbour Inn',
      listing_city: 'Halifax', listing_visible: true, listing_status: 'active', info_visible: true, records_on_listing: 2,
      certainty_score: 1, job_id: first.runId, conflicts: [],
    });
    expect(onListing[0]!.linked_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(onListing[1]).toMatchObject({ dmo_id: partner.dmoId, job_id: second.runId, records_on_listing: 2 });

    expect((await mappings(`dmo_id=${client.dmoId}`)).map((row) => row.source_id)).toEqual(['HL-0', 'HL-1']);
    expect((await mappings(`dmo_id=${client.dmoId}&source_id=HL-0`)).map((row) => row.listing_name)).toEqual(['Citadel Hill']);
    const paged = await admin.get(`${api}/mappings?dmo_id=${client.dmoId}&pageSize=1&page=2`);
    expect(mappingList.parse(paged.body)).toMatchObject({ total: 2, rows: [{ source_id: 'HL-1' }] });
    expect(await mappings('listing_id=2147483647')).toEqual([]);
  });

  it('refuses a query it cannot read, naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['listing_id=abc', /^listing_id: expected a listing id: a whole number from 1 to 2147483647 \(got "abc"\)/],
      ['dmo_id=0', /^dmo_id: expected a DMO id/],
      ['conflicts=yes', /^conflicts: expected true or false/],
      ['pageSize=501', /^pageSize: /],
    ];
    for (const [params, message] of cases) {
      const reply = await admin.get(`${api}/mappings?${params}`);
      expect(reply.status).toBe(400);
      expect(reply.body.error.message).toMatch(message);
    }
  });
});

describe('conflicts', () => {
  it('lists a record claimed twice, a record on two listings and a listing with two records of one DMO, each in words', async () => {
    // the same DMO delivers one place under a second id: the match hash merges it into the first's listing
    const merged = await createCsvSource(admin, 'Visit Conflicts', 3, { import: { source_id_column: 'ID', full_snapshot: false } });
    const lighthouse = place('C-1', 'Sambro Lighthouse', 'Sambro');
    await importFile(merged.configId, [lighthouse, place('C-2', 'Fisherman Cove', 'Eastern Passage'), place('C-3', 'Point Pleasant', 'Halifax')]);
    const again = await importFile(merged.configId, [{ ...lighthouse, id: 'C-1b' }]);
    expect(again.run.results).toMatchObject({ records_new: 1 });
    const lighthouseListing = (await listingOf(merged.dmoId, 'C-1')).listingId;
    expect((await listingOf(merged.dmoId, 'C-1b')).listingId).toBe(lighthouseListing);

    // what no import makes, but old data or a hand-made fix may hold: a link to a listing other than
    // the record's, and a second source record claiming one DMO record
    const cove = await listingOf(merged.dmoId, 'C-2');
    const park = await listingOf(merged.dmoId, 'C-3');
    await query(`UPDATE pipeline.bridge_source_target SET target_id = $1 WHERE dmo_id = $2 AND source_id = 'C-2' AND target_type = 'listing'`,
      [park.listingId, merged.dmoId]);
    const other = await createCsvSource(admin, 'Old Partner Feed', 4);
    await query(`INSERT INTO pipeline.bridge_source_target (dmo_id, source_id, target_type, target_id)
                 VALUES ($1, 'OLD-7', 'listing_info', $2), ($1, 'OLD-7', 'listing', $3)`, [other.dmoId, park.infoId, park.listingId]);

    const conflicts = await mappings('conflicts=true');
    const kinds = conflicts.map((row) => [row.source_id, row.conflicts.map((c) => c.kind)]);
    expect(kinds).toEqual(expect.arrayContaining([
      ['C-1', ['same_dmo_twice']], ['C-1b', ['same_dmo_twice']],
      ['C-2', ['two_listings']],
      ['C-3', ['record_claimed_twice']], ['OLD-7', ['record_claimed_twice']],
    ]));
    expect(kinds).toHaveLength(5);
    const words = (sourceId: string) => conflicts.find((row) => row.source_id === sourceId)!.conflicts[0]!.message;
    expect(words('C-1')).toBe(`“Sambro Lighthouse” (listing #${lighthouseListing}) has 2 records from Visit Conflicts (this one and C-1b): ` +
      "probably different places merged by mistake, or a duplicate in Visit Conflicts's data. Give the one that does not belong its own listing.");
    expect(words('C-2')).toBe(`Linked to two listings: the link says “Point Pleasant” (listing #${park.listingId}), but the Visit Conflicts ` +
      `record is shown on “Fisherman Cove” (listing #${cove.listingId}). Match it to the right listing to put both in agreement.`);
    expect(words('OLD-7')).toBe(`2 source records feed the same Old Partner Feed record (#${park.infoId} on “Point Pleasant” ` +
      `(listing #${park.listingId})): this one and C-3 from Visit Conflicts. Only one of them should: each import of either overwrites what the other said.`);
    const c2 = conflicts.find((row) => row.source_id === 'C-2')!;
    expect(c2).toMatchObject({ listing_id: park.listingId, info_listing_id: cove.listingId, listing_name: 'Point Pleasant' });
    // the filters narrow the conflicts too; without the switch, a conflicting row still says what it is in
    expect((await mappings(`conflicts=true&listing_id=${lighthouseListing}`)).map((row) => row.source_id)).toEqual(['C-1', 'C-1b']);
    expect((await mappings(`conflicts=true&dmo_id=${other.dmoId}`)).map((row) => row.source_id)).toEqual(['OLD-7']);
    expect((await mappings(`dmo_id=${merged.dmoId}&source_id=C-2`))[0]!.conflicts.map((c) => c.kind)).toEqual(['two_listings']);

    // a force-match to the listing its record is on puts the link right, and the conflict is gone
    const fixed = await admin.post(`${api}/mappings/force-match`, { dmo_id: merged.dmoId, source_id: 'C-2', listing_id: cove.listingId });
    expect(fixed.status).toBe(200);
    expect(mappingChangeReply.parse(fixed.body)).toMatchObject({ changed: true, mapping: { listing_id: cove.listingId, conflicts: [] } });
    expect((await mappings(`conflicts=true&dmo_id=${merged.dmoId}`)).map((row) => row.source_id)).toEqual(['C-1', 'C-1b', 'C-3']);

    await query('DELETE FROM pipeline.bridge_source_target WHERE dmo_id = $1', [other.dmoId]);
  });
});

describe('force-match and unmerge', () => {
  it('force-match moves a record onto another listing, in production and on both timelines; unmerge gives it its own back', async () => {
    const client = await createCsvSource(admin, 'Discover Lunenburg', 3);
    const partner = await createCsvSource(admin, 'Lunenburg Eats', 4);
    await importFile(client.configId, [place('DL-1', 'Bluenose Fish Market', 'Lunenburg', '1 Montague Street')]);
    // the same stall, as the partner knows it: a name and an address no matching could pair with the client's
    const partnerRows = [place('LE-4', 'The Smokehouse on the Wharf', 'Lunenburg', '1 Montague St')];
    const partnerRun = await importFile(partner.configId, partnerRows);
    const target = await listingOf(client.dmoId, 'DL-1');
    const before = await listingOf(partner.dmoId, 'LE-4');
    expect(before.listingId).not.toBe(target.listingId);

    const matched = await admin.post(`${api}/mappings/force-match`, { dmo_id: partner.dmoId, source_id: 'LE-4', listing_id: target.listingId });
    expect(matched.status).toBe(200);
    const reply = mappingChangeReply.parse(matched.body);
    expect(reply).toMatchObject({
      changed: true,
      mapping: { dmo_name: 'Lunenburg Eats', source_id: 'LE-4', listing_id: target.listingId, info_listing_id: target.listingId,
        listing_info_id: before.infoId, listing_name: 'Bluenose Fish Market', certainty_score: 1, match_method: 'manual', job_id: null,
        records_on_listing: 2 },
      // the old listing had no other record: off the site, saying why
      left: [{ id: before.listingId, name: 'The Smokehouse on the Wharf', listing_visible: false, listing_status: 'merged' }],
    });
    expect(await bridgeOf(partner.dmoId, 'LE-4')).toMatchObject({
      listing: { target_id: target.listingId, certainty_score: 1, match_method: 'manual', job_id: null },
      listing_info: { target_id: before.infoId },
    });

    const onTarget = await detail(target.listingId);
    expect(onTarget.listing_info.map((info) => info.dmo_name)).toEqual(['Discover Lunenburg', 'Lunenburg Eats']);
    expect(onTarget.sources.filter((s) => s.dmo_id === partner.dmoId).map((s) => [s.target_type, s.job_id]))
      .toEqual([['listing', null], ['listing_info', partnerRun.runId]]);
    expect(onTarget.timeline[0]).toMatchObject({ change: 'match', entity_type: 'listing_info', entity_id: before.infoId, field: 'listing_id',
      old_value: String(before.listingId), new_value: String(target.listingId), user_id: expect.any(Number), user_name: expect.any(String) });
    const left = await detail(before.listingId);
    expect(left).toMatchObject({ listing_visible: false, listing_status: 'merged', listing_info: [] });
    expect(left.timeline.filter((c) => c.change === 'match').map((c) => [c.entity_type, c.field, c.old_value, c.new_value]))
      .toEqual(expect.arrayContaining([
        ['listing_info', 'listing_id', String(before.listingId), String(target.listingId)],
        ['listing', 'listing_status', 'active', 'merged']]));
    const publicSearch = await admin.get('/v1/listings?q=lunenburg');
    expect(publicSearch.body.listings.map((l: any) => [l.id, l.listing_info.length])).toEqual([[target.listingId, 2]]);

    // matching it to where it is now is harmless: nothing changes, nothing is logged
    const again = await admin.post(`${api}/mappings/force-match`, { dmo_id: partner.dmoId, source_id: 'LE-4', listing_id: target.listingId });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ changed: false, left: [], mapping: { listing_id: target.listingId } });
    expect((await detail(target.listingId)).timeline.filter((c) => c.change === 'match')).toHaveLength(1);

    // the partner's next import leaves it where the person put it
    const reimport = await importFile(partner.configId, partnerRows);
    expect(reimport.run.results).toMatchObject({ records_unchanged: 1, records_new: 0 });
    expect((await listingOf(partner.dmoId, 'LE-4')).listingId).toBe(target.listingId);

    const split = await admin.post(`${api}/mappings/unmerge`, { dmo_id: partner.dmoId, source_id: 'LE-4' });
    expect(split.status).toBe(200);
    const unmerged = mappingChangeReply.parse(split.body);
    const own = unmerged.mapping.listing_id!;
    expect(own).not.toBe(target.listingId);
    expect(own).not.toBe(before.listingId);
    expect(unmerged).toMatchObject({
      changed: true,
      // made from what the partner delivered, not the client's name for the place
      mapping: { listing_name: 'The Smokehouse on the Wharf', listing_city: 'Lunenburg', listing_visible: true, listing_status: 'active',
        match_method: 'manual', certainty_score: 1, records_on_listing: 1, listing_info_id: before.infoId },
      left: [{ id: target.listingId, listing_visible: true, listing_status: 'active' }],
    });
    const ownDetail = await detail(own);
    expect(ownDetail).toMatchObject({ name: 'The Smokehouse on the Wharf', owner_dmo_id: partner.dmoId, location: { address1: '1 Montague St' } });
    expect(ownDetail.listing_info.map((info) => info.id)).toEqual([before.infoId]);
    expect(ownDetail.timeline[0]).toMatchObject({ change: 'unmerge', entity_type: 'listing_info', old_value: String(target.listingId),
      new_value: String(own), user_id: expect.any(Number) });
    const targetAfter = await detail(target.listingId);
    expect(targetAfter.listing_info.map((info) => info.dmo_name)).toEqual(['Discover Lunenburg']);
    expect(targetAfter.timeline[0]).toMatchObject({ change: 'unmerge', old_value: String(target.listingId), new_value: String(own) });
    expect((await bridgeOf(partner.dmoId, 'LE-4')).listing).toMatchObject({ target_id: own, match_method: 'manual' });

    // alone on its listing now: nothing to unmerge from
    const refused = await admin.post(`${api}/mappings/unmerge`, { dmo_id: partner.dmoId, source_id: 'LE-4' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'nothing_to_unmerge' });
    expect(refused.body.error.message).toBe(`Source record "LE-4" of Lunenburg Eats is the only record on listing ${own} ` +
      '(The Smokehouse on the Wharf): it already has a listing of its own, so there is nothing to unmerge it from');
    // and its next import keeps it there, unchanged
    const after = await importFile(partner.configId, partnerRows);
    expect(after.run.results).toMatchObject({ records_unchanged: 1, records_new: 0 });
    expect((await listingOf(partner.dmoId, 'LE-4')).listingId).toBe(own);
  });

  it('unmerge without the staged row copies the listing it leaves, and the source\'s next import writes its own values', async () => {
    const client = await createCsvSource(admin, 'Visit Mahone Bay', 3);
    const partner = await createCsvSource(admin, 'Bay Tours', 4);
    await importFile(client.configId, [place('MB-1', 'Three Churches', 'Mahone Bay')]);
    const partnerRows = [place('BT-1', 'Three Churches Walk', 'Mahone Bay', '2 Edgewater Street')];
    await importFile(partner.configId, partnerRows);
    const target = await listingOf(client.dmoId, 'MB-1');
    await admin.post(`${api}/mappings/force-match`, { dmo_id: partner.dmoId, source_id: 'BT-1', listing_id: target.listingId });
    await query('DELETE FROM staging.rows WHERE dmo_id = $1', [partner.dmoId]); // purged after STAGING_RETENTION_DAYS

    const split = mappingChangeReply.parse((await admin.post(`${api}/mappings/unmerge`, { dmo_id: partner.dmoId, source_id: 'BT-1' })).body);
    expect(split.mapping).toMatchObject({ listing_name: 'Three Churches', listing_city: 'Mahone Bay', listing_visible: true });
    const next = await importFile(partner.configId, partnerRows);
    expect(next.run.results).toMatchObject({ records_updated: 1 });
    expect(await detail(split.mapping.listing_id!)).toMatchObject({ name: 'Three Churches Walk', location: { address1: '2 Edgewater Street' } });
    expect((await detail(target.listingId))).toMatchObject({ name: 'Three Churches', listing_visible: true });
  });

  it('two force-matches of one record to two listings at once leave it on exactly one, with the bridge and its record agreeing', async () => {
    const source = await createCsvSource(admin, 'Visit Race', 3);
    await importFile(source.configId, [place('R-0', 'Race Start', 'Halifax'), place('R-1', 'Race One', 'Halifax'), place('R-2', 'Race Two', 'Halifax')]);
    const one = (await listingOf(source.dmoId, 'R-1')).listingId;
    const two = (await listingOf(source.dmoId, 'R-2')).listingId;
    for (let round = 0; round < 5; round++) {
      const replies = await Promise.all([one, two].map((listingId) =>
        admin.post(`${api}/mappings/force-match`, { dmo_id: source.dmoId, source_id: 'R-0', listing_id: listingId })));
      expect(replies.map((reply) => reply.status)).toEqual([200, 200]);
      const [info] = await query(`SELECT id, listing_id FROM public.listing_info WHERE dmo_id = $1 AND source_id = 'R-0'`, [source.dmoId]);
      expect([one, two]).toContain(info.listing_id);
      const bridge = await bridgeOf(source.dmoId, 'R-0');
      expect(bridge.listing.target_id).toBe(info.listing_id);
      expect(bridge.listing_info.target_id).toBe(info.id);
      const holders = (await Promise.all([one, two].map(detail))).filter((d) => d.listing_info.some((li) => li.id === info.id));
      expect(holders.map((d) => d.id)).toEqual([info.listing_id]);
      // the one that ran second read what the first had done: it moved the record from the other listing
      const other = info.listing_id === one ? two : one;
      expect(holders[0]!.timeline[0]).toMatchObject({ change: 'match', entity_id: info.id, old_value: String(other), new_value: String(info.listing_id) });
    }
    expect(await query(`SELECT count(*)::int AS n FROM public.listing_info WHERE dmo_id = $1`, [source.dmoId])).toEqual([{ n: 3 }]);
  });
});

describe('refusals', () => {
  it('bad bodies are 400 naming the field; what is not there is 404 naming it; nothing changed', async () => {
    const source = await createCsvSource(admin, 'Visit Refusals', 3);
    await importFile(source.configId, [place('X-1', 'Refusal Rock', 'Halifax')]);
    const { listingId } = await listingOf(source.dmoId, 'X-1');
    const post = (path: string, body: unknown) => admin.post(`${api}/mappings/${path}`, body);
    const bad: [string, unknown, RegExp][] = [
      ['force-match', { dmo_id: source.dmoId, source_id: 'X-1', listing_id: listingId, note: 'hi' }, /^\(body\): Unrecognized key: "note"/],
      ['force-match', { dmo_id: source.dmoId, source_id: 'X-1', listing_id: '5' }, /^listing_id: expected a listing id: a whole number/],
      ['force-match', { dmo_id: source.dmoId, source_id: 'X-1', listing_id: 0 }, /^listing_id: expected a listing id/],
      ['force-match', { dmo_id: source.dmoId, source_id: 'X-1', listing_id: 1.5 }, /^listing_id: expected a listing id/],
      ['force-match', { dmo_id: -3, source_id: 'X-1', listing_id: listingId }, /^dmo_id: expected a DMO id/],
      ['force-match', { dmo_id: 2_147_483_648, source_id: 'X-1', listing_id: listingId }, /^dmo_id: expected a DMO id/],
      ['force-match', { dmo_id: source.dmoId, listing_id: listingId }, /^source_id: expected the source record's id as text/],
      ['unmerge', { dmo_id: source.dmoId, source_id: '' }, /^source_id: expected the source record's id, not empty/],
      ['unmerge', { dmo_id: source.dmoId, source_id: 'X-1', listing_id: listingId }, /^\(body\): Unrecognized key: "listing_id"/],
      ['unmerge', [], /^\(body\): /],
    ];
    for (const [path, body, message] of bad) {
      const reply = await post(path, body);
      expect([path, body, reply.status]).toEqual([path, body, 400]);
      expect(reply.body.error.message).toMatch(message);
    }

    const noRecord = await post('force-match', { dmo_id: source.dmoId, source_id: 'NOPE', listing_id: listingId });
    expect(noRecord.status).toBe(404);
    expect(noRecord.body.error.message).toBe(`Source record "NOPE" of DMO ${source.dmoId} was not found: no import has linked it to a listing`);
    expect((await post('unmerge', { dmo_id: source.dmoId, source_id: 'NOPE' })).status).toBe(404);
    const noListing = await post('force-match', { dmo_id: source.dmoId, source_id: 'X-1', listing_id: 2_000_000_000 });
    expect(noListing.status).toBe(404);
    expect(noListing.body.error).toMatchObject({ message: 'listing_id: Listing 2000000000 was not found',
      details: [{ path: 'listing_id', message: 'Listing 2000000000 was not found' }] });
    const nothing = await post('unmerge', { dmo_id: source.dmoId, source_id: 'X-1' });
    expect(nothing.status).toBe(409);
    expect((await listingOf(source.dmoId, 'X-1')).listingId).toBe(listingId);
    expect((await detail(listingId)).timeline.filter((c) => c.change === 'match' || c.change === 'unmerge')).toEqual([]);
  });

  it('a viewer and a reviewer may read the mappings but not change them (pipeline:promote)', async () => {
    const source = await createCsvSource(admin, 'Visit Permissions', 3);
    await importFile(source.configId, [place('P-1', 'Permission Point', 'Halifax'), place('P-2', 'Permission Pier', 'Halifax')]);
    const { listingId } = await listingOf(source.dmoId, 'P-2');
    for (const role of ['viewer', 'reviewer'] as const) {
      const user = await userWithRoles(t.ctx, [role]);
      const client = await ApiClient.signedIn(product.server.url, user.email, user.password);
      expect((await client.get(`${api}/mappings?dmo_id=${source.dmoId}`)).body.total).toBe(2);
      const forced = await client.post(`${api}/mappings/force-match`, { dmo_id: source.dmoId, source_id: 'P-1', listing_id: listingId });
      expect(forced.status).toBe(403);
      expect(forced.body.error.message).toBe('This needs the permission pipeline:promote, which your roles do not grant');
      expect((await client.post(`${api}/mappings/unmerge`, { dmo_id: source.dmoId, source_id: 'P-1' })).status).toBe(403);
    }
    expect((await listingOf(source.dmoId, 'P-1')).listingId).not.toBe(listingId);
  });
});
