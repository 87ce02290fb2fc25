import { geometryCentroid } from './geometry-centroid';

const square = (x: number, y: number, side: number) => [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]];

describe('geometryCentroid', () => {
  it.each([
    ['a Point is itself', { type: 'Point', coordinates: [-63.57, 44.65] }, -63.57, 44.65],
    ['a Point with an altitude ignores it', { type: 'Point', coordinates: [10, 20, 300] }, 10, 20],
    ['a MultiPoint is the mean of its points', { type: 'MultiPoint', coordinates: [[0, 0], [2, 0], [1, 3]] }, 1, 1],
    ['a square is its middle', { type: 'Polygon', coordinates: [square(-64, 44, 0.002)] }, -63.999, 44.001],
    ['a clockwise ring gives the same centroid', { type: 'Polygon', coordinates: [square(0, 0, 2).reverse()] }, 1, 1],
    // an L of three unit squares: area centroid (5/6, 5/6), not the mean of its vertices
    ['an L-shaped building is its area centroid', { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2], [0, 0]]] }, 5 / 6, 5 / 6],
    // a 4×4 square with the 2×2 square at its right middle cut out: the centroid moves left
    ['a hole moves the centroid away from it', { type: 'Polygon', coordinates: [square(0, 0, 4), square(2, 1, 2)] }, (16 * 2 - 4 * 3) / 12, 2],
    ['a MultiPolygon weights its parts by area', { type: 'MultiPolygon', coordinates: [[square(0, 0, 2)], [square(10, 0, 1)]] }, (4 * 1 + 1 * 10.5) / 5, (4 * 1 + 1 * 0.5) / 5],
    ['a LineString is its length-weighted centroid', { type: 'LineString', coordinates: [[0, 0], [3, 0], [3, 1]] }, (3 * 1.5 + 1 * 3) / 4, (3 * 0 + 1 * 0.5) / 4],
    ['a MultiLineString weights its lines by length', { type: 'MultiLineString', coordinates: [[[0, 0], [2, 0]], [[0, 4], [0, 6]]] }, 0.5, 2.5],
    ['a collection counts its areas, not a point drawn with them', {
      type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [50, 50] }, { type: 'Polygon', coordinates: [square(0, 0, 2)] }],
    }, 1, 1],
    ['a polygon of no area is where its outline is', { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [4, 0], [0, 0]]] }, 2, 0],
    ['a line of one repeated point is that point', { type: 'LineString', coordinates: [[5, 6], [5, 6]] }, 5, 6],
  ])('%s', (_name, geometry, lng, lat) => {
    const result = geometryCentroid(geometry);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.lng).toBeCloseTo(lng, 9);
    expect(result.lat).toBeCloseTo(lat, 9);
  });

  it('keeps precision for a small building at large coordinates', () => {
    const result = geometryCentroid({ type: 'Polygon', coordinates: [square(-179.9999, 89.9, 0.00001)] });
    expect(result).toEqual({ ok: true, lng: expect.closeTo(-179.999895, 9), lat: expect.closeTo(89.900005, 9) });
  });

  it.each([
    ['no geometry', null, 'The geometry is not a GeoJSON geometry object'],
    ['an unknown type', { type: 'Circle', coordinates: [0, 0] }, 'has type "Circle", not a GeoJSON geometry type'],
    ['a longitude out of range', { type: 'Point', coordinates: [200, 10] }, '[200, 10] is out of range'],
    ['a latitude out of range', { type: 'Point', coordinates: [10, -91] }, '[10, -91] is out of range'],
    ['projected metres', { type: 'Point', coordinates: [-7076000, 5571000] }, 'not a projected system such as EPSG:3857'],
    ['a coordinate that is text', { type: 'Point', coordinates: ['-63.5', '44.6'] }, 'not a position of two numbers'],
    ['a position of one number', { type: 'Point', coordinates: [1] }, 'is not a position [longitude, latitude]'],
    ['an open ring', { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 1]]] }, 'ring 1 is not closed'],
    ['a ring of three positions', { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [0, 0]]] }, 'ring 1 needs at least 4 positions'],
    ['an empty polygon', { type: 'Polygon', coordinates: [] }, 'has no coordinates'],
    ['a bad position deep in a MultiPolygon', { type: 'MultiPolygon', coordinates: [[square(0, 0, 1)], [[[0, 0], [1, 0], [1, 95], [0, 0]]]] },
      'The geometry polygon 2 ring 1 position 3 [1, 95] is out of range'],
  ])('refuses %s, saying why', (_name, geometry, reason) => {
    const result = geometryCentroid(geometry);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('a MultiPoint of 300,000 positions is their mean, not a stack overflow', () => {
    const coordinates = Array.from({ length: 300_000 }, (_, i) => [(i % 2) * 2, 44]);
    expect(geometryCentroid({ type: 'MultiPoint', coordinates })).toEqual({ ok: true, lng: expect.closeTo(1, 9), lat: expect.closeTo(44, 9) });
  });
});
