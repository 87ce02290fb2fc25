import { featureRecord, poiMapping, poiRecord } from './poi-record';

const osmHotel = {
  type: 'Feature', id: 'node/101',
  geometry: { type: 'Point', coordinates: [-63.5752, 44.6476] },
  properties: { name: 'Harbour Inn', tourism: 'hotel', 'addr:housenumber': '12', 'addr:street': 'Water Street', 'addr:city': 'Halifax', 'addr:postcode': 'B3J 1A1', website: 'https://harbour.example', phone: '+1 902 555 0101' },
};

describe('featureRecord', () => {
  it('an OSM point keeps its tags and gains id, lat, lng, address and category', () => {
    expect(featureRecord(osmHotel, 'Feature 1')).toEqual({
      ok: true,
      fields: { ...osmHotel.properties, id: 'node/101', lat: 44.6476, lng: -63.5752, address: '12 Water Street', category: 'hotel' },
    });
  });

  it('a polygon is listed at its area centroid; amenity is the category without tourism', () => {
    const result = featureRecord({
      type: 'Feature', id: 7, properties: { name: 'Town Hall', amenity: 'townhall', 'addr:street': 'Argyle Street' },
      geometry: { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]] },
    }, 'Feature 2');
    expect(result).toEqual({ ok: true, fields: { name: 'Town Hall', amenity: 'townhall', 'addr:street': 'Argyle Street', id: 7, lat: 1, lng: 1, address: 'Argyle Street', category: 'townhall' } });
  });

  it('ESRI-style attributes are kept as given; a category of its own is not overwritten', () => {
    const result = featureRecord({ type: 'Feature', geometry: { type: 'Point', coordinates: [1, 2] }, properties: { NAME: 'Museum', ADDRESS: '1 Main St', CITY: 'Truro', category: 'museum', tourism: 'attraction' } }, 'Feature 3');
    expect(result).toEqual({ ok: true, fields: { NAME: 'Museum', ADDRESS: '1 Main St', CITY: 'Truro', category: 'museum', tourism: 'attraction', lat: 2, lng: 1 } });
  });

  it.each([
    ['no geometry', { ...osmHotel, geometry: null }, 'Feature 4 has no geometry'],
    ['coordinates out of range', { ...osmHotel, geometry: { type: 'Point', coordinates: [44.6, -263.5] } }, "Feature 4's geometry [44.6, -263.5] is out of range"],
    ['not a Feature', { type: 'Point', coordinates: [0, 0] }, 'Feature 4 is not a GeoJSON Feature (it has type "Point")'],
    ['properties that are a list', { ...osmHotel, properties: [1] }, "Feature 4's properties are not an object"],
  ])('refuses a feature with %s', (_name, feature, reason) => {
    expect(featureRecord(feature, 'Feature 4')).toEqual({ ok: false, reason: expect.stringContaining(reason) });
  });
});

describe('poiRecord', () => {
  it('reads an Overpass element by its tags and its center', () => {
    expect(poiRecord({ type: 'way', id: 55, center: { lat: 44.1, lon: -64.2 }, tags: { name: 'Park', leisure: 'park' } }, 'Record 1')).toEqual({
      ok: true, fields: { name: 'Park', leisure: 'park', id: 'way/55', lat: 44.1, lng: -64.2, category: 'park' },
    });
  });

  it('reads an ESRI JSON feature by its attributes and its x, y', () => {
    expect(poiRecord({ attributes: { OBJECTID: 3, NAME: 'Library' }, geometry: { x: -63.1, y: 45.2 } }, 'Record 2')).toEqual({
      ok: true, fields: { OBJECTID: 3, NAME: 'Library', id: 3, lat: 45.2, lng: -63.1 },
    });
  });

  it('keeps a plain record as given, adding the address its OSM tags make', () => {
    expect(poiRecord({ name: 'Cafe', lat: '44.5', lon: '-63.5', 'addr:housenumber': '3', 'addr:street': 'Hollis St' }, 'Record 3')).toEqual({
      ok: true, fields: { name: 'Cafe', lat: '44.5', lon: '-63.5', 'addr:housenumber': '3', 'addr:street': 'Hollis St', address: '3 Hollis St' },
    });
  });

  it('refuses what is not a record, and an ESRI feature in projected metres', () => {
    expect(poiRecord([1, 2], 'Record 4')).toEqual({ ok: false, reason: 'Record 4 is a list, not a record (a JSON object)' });
    expect(poiRecord({ attributes: {}, geometry: { x: -7076000, y: 5571000 } }, 'Record 5')).toEqual({ ok: false, reason: expect.stringContaining('EPSG:3857') });
    expect(poiRecord({ type: 'node', id: 1, tags: { name: 'x' } }, 'Record 6')).toEqual({ ok: false, reason: expect.stringContaining('has no lat/lon or center') });
  });
});

describe('poiMapping', () => {
  it('maps OSM tags and the derived fields', () => {
    const fields = featureRecord(osmHotel, 'Feature 1');
    expect(fields.ok && poiMapping([fields.fields])).toEqual({
      'listings.name': 'name', 'listings.category': 'category', 'locations.address1': 'address', 'locations.city': 'addr:city',
      'locations.zip': 'addr:postcode', 'locations.lat': 'lat', 'locations.lng': 'lng', 'contact_info.website_url': 'website',
      'contact_info.local_phone': 'phone',
    });
  });

  it('maps ESRI names whatever their case, found in any of the samples', () => {
    expect(poiMapping([{ NAME: 'a', lat: 1, lng: 2 }, { ADDRESS: 'b', City: 'c', ZIP: 'd', PHONE: 'e', Email: 'f' }])).toEqual({
      'listings.name': 'NAME', 'locations.address1': 'ADDRESS', 'locations.city': 'City', 'locations.zip': 'ZIP',
      'locations.lat': 'lat', 'locations.lng': 'lng', 'contact_info.local_phone': 'PHONE', 'contact_info.email': 'Email',
    });
  });
});
