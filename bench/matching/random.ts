// A seeded random source, so the labelled set is the same set on every machine and run.

export type Random = {
  /** uniform in [0, 1) */
  next(): number;
  int(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** a point `metres` away from (lat, lng) in a random direction */
  moved(lat: number, lng: number, metres: number): { lat: number; lng: number };
};

/** mulberry32: 32 bits of state, fast and well spread for test data (not for secrets). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (probability) => next() < probability,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
    moved: (lat, lng, metres) => {
      const bearing = next() * 2 * Math.PI;
      const dLat = (metres * Math.cos(bearing)) / 111_195;
      const dLng = (metres * Math.sin(bearing)) / (111_195 * Math.cos((lat * Math.PI) / 180));
      return { lat: lat + dLat, lng: lng + dLng };
    },
  };
}
