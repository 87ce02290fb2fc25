// One point for a GeoJSON geometry, where a listing's lat/lng goes: a Point as it is; a polygon's area
// centroid (holes taken out), a line's length-weighted centroid, a multi-geometry's parts weighted the
// same way (only the parts of its highest dimension count: a hotel's outline, not the point of its
// entrance drawn with it). Computed on the lng/lat plane, which is within metres for a building or a
// park; a geometry across the antimeridian is not handled. Pure, no I/O.

export type LngLat = [number, number];

export type CentroidResult = { ok: true; lat: number; lng: number } | { ok: false; reason: string };

interface Part {
  /** 0 a point, 1 a line, 2 an area */
  dimension: 0 | 1 | 2;
  /** area, length, or 1 for a point */
  weight: number;
  x: number;
  y: number;
}

class InvalidGeometry extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function position(value: unknown, where: string): LngLat {
  if (!Array.isArray(value) || value.length < 2) throw new InvalidGeometry(`${where} is not a position [longitude, latitude]`);
  const [lng, lat] = value;
  if (typeof lng !== 'number' || typeof lat !== 'number' || !Number.isFinite(lng) || !Number.isFinite(lat)) {
    throw new InvalidGeometry(`${where} is not a position of two numbers [longitude, latitude]`);
  }
  if (lng < -180 || lng > 180 || lat < -90 || lat > 90) {
    throw new InvalidGeometry(
      `${where} [${lng}, ${lat}] is out of range (longitude -180..180, latitude -90..90): GeoJSON is WGS 84 [longitude, latitude], ` +
      'not a projected system such as EPSG:3857, nor [latitude, longitude]',
    );
  }
  return [lng, lat];
}

function positions(value: unknown, where: string, least: number): LngLat[] {
  if (!Array.isArray(value) || value.length < least) throw new InvalidGeometry(`${where} needs at least ${least} positions`);
  return value.map((item, i) => position(item, `${where} position ${i + 1}`));
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) throw new InvalidGeometry(`${where} has no coordinates`);
  return value;
}

/** A line's length-weighted centroid; a line of no length (repeated points) is its first point. */
function lineCentroid(line: LngLat[]): Part {
  let length = 0;
  let x = 0;
  let y = 0;
  for (let i = 1; i < line.length; i++) {
    const [x0, y0] = line[i - 1]!;
    const [x1, y1] = line[i]!;
    const segment = Math.hypot(x1 - x0, y1 - y0);
    length += segment;
    x += segment * (x0 + x1) / 2;
    y += segment * (y0 + y1) / 2;
  }
  if (length === 0) return { dimension: 0, weight: 1, x: line[0]![0], y: line[0]![1] };
  return { dimension: 1, weight: length, x: x / length, y: y / length };
}

/** A ring's signed area and the area-weighted sums of its centroid (shoelace formula). */
function ringMoments(ring: LngLat[]): { area: number; x: number; y: number } {
  let twiceArea = 0;
  let x = 0;
  let y = 0;
  // coordinates taken relative to the first vertex: large values lose no precision in the products
  const [ox, oy] = ring[0]!;
  for (let i = 0; i < ring.length - 1; i++) {
    const x0 = ring[i]![0] - ox;
    const y0 = ring[i]![1] - oy;
    const x1 = ring[i + 1]![0] - ox;
    const y1 = ring[i + 1]![1] - oy;
    const cross = x0 * y1 - x1 * y0;
    twiceArea += cross;
    x += (x0 + x1) * cross;
    y += (y0 + y1) * cross;
  }
  const area = twiceArea / 2;
  return { area, x: area ? x / (6 * area) + ox : ox, y: area ? y / (6 * area) + oy : oy };
}

function polygonCentroid(rings: unknown, where: string): Part {
  const all = list(rings, where).map((ring, i) => {
    const points = positions(ring, `${where} ring ${i + 1}`, 4);
    const [first, last] = [points[0]!, points.at(-1)!];
    if (first[0] !== last[0] || first[1] !== last[1]) throw new InvalidGeometry(`${where} ring ${i + 1} is not closed (its last position is not its first)`);
    return points;
  });
  const moments = all.map(ringMoments);
  const outer = moments[0]!;
  // rings may wind either way (RFC 7946 asks for counter-clockwise outers, not every export does)
  let area = Math.abs(outer.area);
  let x = outer.x * area;
  let y = outer.y * area;
  for (let i = 1; i < moments.length; i++) {
    const hole = moments[i]!;
    const holeArea = Math.abs(hole.area);
    area -= holeArea;
    x -= hole.x * holeArea;
    y -= hole.y * holeArea;
  }
  // a polygon of no area (all points on a line) is where its outline is
  if (!(area > 1e-18)) return lineCentroid(all[0]!);
  return { dimension: 2, weight: area, x: x / area, y: y / area };
}

function partsOf(geometry: unknown, where: string, depth = 0): Part[] {
  if (!isObject(geometry)) throw new InvalidGeometry(`${where} is not a GeoJSON geometry object`);
  const { type, coordinates } = geometry;
  switch (type) {
    case 'Point': {
      const [x, y] = position(coordinates, where);
      return [{ dimension: 0, weight: 1, x, y }];
    }
    case 'MultiPoint':
      return positions(coordinates, where, 1).map(([x, y]) => ({ dimension: 0, weight: 1, x, y }));
    case 'LineString':
      return [lineCentroid(positions(coordinates, where, 2))];
    case 'MultiLineString':
      return list(coordinates, where).map((line, i) => lineCentroid(positions(line, `${where} line ${i + 1}`, 2)));
    case 'Polygon':
      return [polygonCentroid(coordinates, where)];
    case 'MultiPolygon':
      return list(coordinates, where).map((polygon, i) => polygonCentroid(polygon, `${where} polygon ${i + 1}`));
    case 'GeometryCollection': {
      if (depth > 4) throw new InvalidGeometry(`${where} nests geometry collections too deeply`);
      return list(geometry.geometries, where).flatMap((part, i) => partsOf(part, `${where} geometry ${i + 1}`, depth + 1));
    }
    default:
      throw new InvalidGeometry(`${where} has type ${JSON.stringify(type)}, not a GeoJSON geometry type (Point, LineString, Polygon, their Multi… forms, GeometryCollection)`);
  }
}

/** The point to list a geometry at, or why it has none; `where` starts each reason ("The geometry"). */
export function geometryCentroid(geometry: unknown, where = 'The geometry'): CentroidResult {
  let parts: Part[];
  try {
    parts = partsOf(geometry, where);
  } catch (error) {
    if (error instanceof InvalidGeometry) return { ok: false, reason: error.message };
    throw error;
  }
  // loops, not Math.max(...parts): a MultiPoint of 300,000 positions is more arguments than the stack holds
  let dimension = 0;
  for (const part of parts) if (part.dimension > dimension) dimension = part.dimension;
  let weight = 0;
  let x = 0;
  let y = 0;
  for (const part of parts) {
    if (part.dimension !== dimension) continue;
    weight += part.weight;
    x += part.x * part.weight;
    y += part.y * part.weight;
  }
  return { ok: true, lat: y / weight, lng: x / weight };
}
