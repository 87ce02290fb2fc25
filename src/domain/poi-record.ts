// A point of interest of a POI data set as one source record: a GeoJSON Feature's properties as given
// (OSM tags such as addr:street, tourism=hotel; ESRI attributes such as NAME, ADDRESS, CITY), plus
// `id`, `lat` and `lng` from its geometry, `address` from OSM's addr:housenumber and addr:street, and
// `category` from the OSM key that says what the place is (tourism, amenity…). An ESRI JSON feature
// (attributes + {x, y}) and an Overpass element (tags + lat/lon or center) are read the same way; any
// other record is kept as it is. Pure, no I/O.
import type { CanonicalField } from './canonical';
import { geometryCentroid } from './geometry-centroid';

export type PoiFields = Record<string, unknown>;
export type PoiRecordResult = { ok: true; fields: PoiFields } | { ok: false; reason: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/** The OSM keys that say what a place is, in the order one is taken as its category. */
const osmCategoryKeys = ['tourism', 'amenity', 'leisure', 'shop', 'historic'];

/** What OSM tags add: `address` (housenumber and street) and `category`, unless the record has its own. */
function osmDerived(tags: PoiFields): PoiFields {
  const derived: PoiFields = {};
  const street = tags['addr:street'];
  const number = tags['addr:housenumber'];
  if (isText(street)) derived.address = isText(number) ? `${number.trim()} ${street.trim()}` : street.trim();
  const categoryKey = osmCategoryKeys.find((key) => isText(tags[key]));
  if (categoryKey && !('category' in tags)) derived.category = tags[categoryKey];
  return derived;
}

function withLocation(properties: PoiFields, id: unknown, lat: number, lng: number): PoiFields {
  return { ...properties, ...(id !== undefined && id !== null ? { id } : {}), lat, lng, ...osmDerived(properties) };
}

/** A GeoJSON Feature as a record, or why it is not one; `noun` names it in reasons ("Feature 12"). */
export function featureRecord(feature: unknown, noun: string): PoiRecordResult {
  if (!isObject(feature) || feature.type !== 'Feature') {
    const type = isObject(feature) ? (feature.type === undefined ? 'no type' : `type ${JSON.stringify(feature.type)}`) : Array.isArray(feature) ? 'a list' : String(feature);
    return { ok: false, reason: `${noun} is not a GeoJSON Feature (it has ${type})` };
  }
  if (feature.geometry === null || feature.geometry === undefined) {
    return { ok: false, reason: `${noun} has no geometry: a point of interest needs a location` };
  }
  const properties = feature.properties ?? {};
  if (!isObject(properties)) return { ok: false, reason: `${noun}'s properties are not an object` };
  const centroid = geometryCentroid(feature.geometry, `${noun}'s geometry`);
  if (!centroid.ok) return centroid;
  return { ok: true, fields: withLocation(properties, feature.id ?? properties.id ?? properties['@id'], centroid.lat, centroid.lng) };
}

/** An ESRI JSON feature's point (x, y in WGS 84, or a polygon's rings, a line's paths), as GeoJSON. */
function esriGeometry(geometry: Record<string, unknown>): unknown {
  if ('x' in geometry || 'y' in geometry) return { type: 'Point', coordinates: [geometry.x, geometry.y] };
  if (Array.isArray(geometry.rings)) return { type: 'MultiPolygon', coordinates: geometry.rings.map((ring) => [ring]) };
  if (Array.isArray(geometry.paths)) return { type: 'MultiLineString', coordinates: geometry.paths };
  return geometry;
}

/**
 * A record of a POI export as a record: a GeoJSON Feature, an ESRI JSON feature, an Overpass
 * element, or a plain record (kept as given, with what its OSM tags add).
 */
export function poiRecord(value: unknown, noun: string): PoiRecordResult {
  if (!isObject(value)) return { ok: false, reason: `${noun} is ${Array.isArray(value) ? 'a list' : String(value)}, not a record (a JSON object)` };
  if (value.type === 'Feature') return featureRecord(value, noun);
  if (isObject(value.attributes) && 'geometry' in value) {
    if (!isObject(value.geometry)) return { ok: false, reason: `${noun} has no geometry: a point of interest needs a location` };
    // ESRI rings are separate polygons or holes by winding; taken as parts, the centroid is close enough for a POI
    const centroid = geometryCentroid(esriGeometry(value.geometry), `${noun}'s geometry`);
    if (!centroid.ok) return centroid;
    const attributes = value.attributes;
    return { ok: true, fields: withLocation(attributes, attributes.OBJECTID ?? attributes.FID, centroid.lat, centroid.lng) };
  }
  if (isObject(value.tags)) {
    const at = isObject(value.center) ? value.center : value;
    if (typeof at.lat !== 'number' || typeof at.lon !== 'number') {
      return { ok: false, reason: `${noun} (an OSM element) has no lat/lon or center: ask Overpass for "out center"` };
    }
    const centroid = geometryCentroid({ type: 'Point', coordinates: [at.lon, at.lat] }, `${noun}'s position`);
    if (!centroid.ok) return centroid;
    const id = value.type && value.id !== undefined ? `${value.type}/${value.id}` : value.id;
    return { ok: true, fields: withLocation(value.tags, id, centroid.lat, centroid.lng) };
  }
  return { ok: true, fields: { ...value, ...osmDerived(value) } };
}

/**
 * The source fields a POI data set names for each canonical field, by the names OSM tags and ESRI
 * layers use, in order of preference; matched without regard to case (NAME, Name, name).
 */
const knownPoiFields: [CanonicalField, string[]][] = [
  ['listings.name', ['name']],
  ['listings.category', ['category']],
  ['locations.address1', ['address', 'addr']],
  ['locations.city', ['addr:city', 'city']],
  ['locations.state', ['addr:state', 'addr:province', 'state', 'province']],
  ['locations.zip', ['addr:postcode', 'zip', 'zipcode', 'zip_code', 'postcode', 'postal_code', 'postalcode']],
  ['locations.country', ['addr:country', 'country']],
  ['locations.lat', ['lat', 'latitude']],
  ['locations.lng', ['lng', 'lon', 'longitude']],
  ['contact_info.website_url', ['website', 'contact:website', 'url', 'web']],
  ['contact_info.local_phone', ['phone', 'contact:phone', 'telephone']],
  ['contact_info.email', ['email', 'contact:email']],
  ['listing_info.description', ['description']],
];

/** The known fields that these records have, each canonical field to the first name found. */
export function poiMapping(samples: readonly PoiFields[]): Partial<Record<CanonicalField, string>> {
  const keys = new Map<string, string>();
  for (const sample of samples) for (const key of Object.keys(sample)) if (!keys.has(key.toLowerCase())) keys.set(key.toLowerCase(), key);
  const mapping: Partial<Record<CanonicalField, string>> = {};
  for (const [field, names] of knownPoiFields) {
    const found = names.map((name) => keys.get(name)).find((key) => key !== undefined);
    if (found) mapping[field] = found;
  }
  return mapping;
}
