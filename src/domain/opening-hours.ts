// Reads free-text opening hours ("Mon-Fri 09:00-17:00; Sat 10:00-14:00") into the shape of
// opening_dates / opening_hours. What cannot be read is reported, never guessed silently, so a
// reviewer sees why a listing lost its hours.
import { z } from 'zod';

/** ref_days ids: 1 = Monday ... 7 = Sunday. */
export const dayOfWeekSchema = z.literal([1, 2, 3, 4, 5, 6, 7]);
export type DayOfWeek = z.infer<typeof dayOfWeekSchema>;

/** A close of '24:00' means "until midnight"; a close earlier than the open means "past midnight". */
export const openingHoursSchema = z.object({
  day: dayOfWeekSchema,
  open: z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$/, { message: 'expected HH:MM from 00:00 to 23:59' }),
  close: z.string().regex(/^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/, { message: 'expected HH:MM from 00:00 to 24:00' }),
});
export type OpeningHours = z.infer<typeof openingHoursSchema>;

/** A season: 'MM-DD' bounds recur every year, ISO 'YYYY-MM-DD' bounds do not; null = no bound. */
const seasonBound = z
  .string()
  .regex(/^(?:\d{4}-)?\d{2}-\d{2}$/, { message: 'expected MM-DD or YYYY-MM-DD' })
  .nullable();

export const openingPeriodSchema = z.object({
  start_date: seasonBound,
  end_date: seasonBound,
  hours: z.array(openingHoursSchema),
});
export type OpeningPeriod = z.infer<typeof openingPeriodSchema>;

export interface ParsedOpeningHours {
  periods: OpeningPeriod[];
  /** One line per piece of the text that could not be read, quoting the piece. */
  problems: string[];
}

const minutesPerDay = 24 * 60;
const allDays: DayOfWeek[] = [1, 2, 3, 4, 5, 6, 7];

// ---------------------------------------------------------------------------------------------
// Words

const dayWords: Record<string, DayOfWeek> = {};
for (const [day, names] of [
  [1, ['mo', 'mon', 'monday']],
  [2, ['tu', 'tue', 'tues', 'tuesday']],
  [3, ['we', 'wed', 'weds', 'wednesday']],
  [4, ['th', 'thu', 'thur', 'thurs', 'thursday']],
  [5, ['fr', 'fri', 'friday']],
  [6, ['sa', 'sat', 'saturday']],
  [7, ['su', 'sun', 'sunday']],
] as const) {
  for (const name of names) dayWords[name] = day;
  // "closed Mondays"
  dayWords[`${names[names.length - 1]}s`] = day;
}

const dayGroupWords: Record<string, DayOfWeek[]> = {
  daily: allDays,
  everyday: allDays,
  weekdays: [1, 2, 3, 4, 5],
  weekday: [1, 2, 3, 4, 5],
  weekends: [6, 7],
  weekend: [6, 7],
};

const closedWords = new Set(['closed', 'off', 'shut']);
const rangeWords = new Set(['to', 'until', 'till', 'til', 'through', 'thru']);
// Words people put around hours that carry no meaning of their own ("Open daily from 10 to 6").
const fillerWords = new Set(['open', 'opens', 'from', 'every', 'day', 'days', 'hours', 'on']);

const monthWords: Record<string, number> = {};
for (const [month, names] of [
  [1, ['jan', 'january']],
  [2, ['feb', 'february']],
  [3, ['mar', 'march']],
  [4, ['apr', 'april']],
  [5, ['may']],
  [6, ['jun', 'june']],
  [7, ['jul', 'july']],
  [8, ['aug', 'august']],
  [9, ['sep', 'sept', 'september']],
  [10, ['oct', 'october']],
  [11, ['nov', 'november']],
  [12, ['dec', 'december']],
] as const) {
  for (const name of names) monthWords[name] = month;
}
// Feb ends on the 29th so that a recurring season covers leap years.
const lastDayOfMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// ---------------------------------------------------------------------------------------------
// Tokens of one rule ("Tue,Thu 9:00-12:00, 13:00-17:00")

interface ClockToken {
  kind: 'time';
  hour: number;
  minute: number;
  meridiem: 'am' | 'pm' | null;
  /** Written as a 24-hour clock ("02:00", "noon", "midnight"): never shifted by the 12-hour guess. */
  explicit: boolean;
}

type Token =
  | ClockToken
  | { kind: 'days'; days: DayOfWeek[]; single: boolean }
  | { kind: 'dash' }
  | { kind: 'comma' }
  | { kind: 'closed' }
  | { kind: 'allDay' };

class UnreadableRule extends Error {}
class UnreadableSeason extends UnreadableRule {}

const tokenPatterns: [RegExp, (m: RegExpExecArray) => Token | null][] = [
  [/\s+/y, () => null],
  [/24\s*\/\s*7|24\s*(?:h|hrs?|hours)\b/y, () => ({ kind: 'allDay' })],
  [
    /(\d{1,2})(?:[:.h](\d{2})|h\b)?(?!\d)(?:\s*([ap])\.?\s?m\b\.?)?/y,
    (m) => {
      const hourText = m[1] ?? '';
      const meridiem = m[3] === 'a' ? 'am' : m[3] === 'p' ? 'pm' : null;
      return {
        kind: 'time',
        hour: Number(hourText),
        minute: Number(m[2] ?? '0'),
        meridiem,
        // "02:00" is a 24-hour clock; "2" or "2:00" may mean 2pm.
        explicit: meridiem === null && hourText.length === 2 && hourText.startsWith('0'),
      };
    },
  ],
  [/[-–—]|\.\./y, () => ({ kind: 'dash' })],
  [/[,&/+]/y, () => ({ kind: 'comma' })],
  // A label colon ("Sat: 10-14") or a sentence stop ("9-5. Sat 10-2") separates nothing we need.
  [/[:.]/y, () => null],
  [/\p{L}+\.?/uy, (m) => wordToken(m[0].replace(/\.$/, ''))],
];

function wordToken(word: string): Token | null {
  const day = dayWords[word];
  if (day !== undefined) return { kind: 'days', days: [day], single: true };
  const group = dayGroupWords[word];
  if (group !== undefined) return { kind: 'days', days: group, single: false };
  if (closedWords.has(word)) return { kind: 'closed' };
  if (rangeWords.has(word)) return { kind: 'dash' };
  if (word === 'and') return { kind: 'comma' };
  if (word === 'noon') return { kind: 'time', hour: 12, minute: 0, meridiem: null, explicit: true };
  if (word === 'midnight') return { kind: 'time', hour: 0, minute: 0, meridiem: null, explicit: true };
  if (fillerWords.has(word)) return null;
  throw new UnreadableRule(`unknown word "${word}"`);
}

function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  scan: while (at < rule.length) {
    for (const [pattern, toToken] of tokenPatterns) {
      pattern.lastIndex = at;
      const match = pattern.exec(rule);
      if (match === null) continue;
      const token = toToken(match);
      if (token !== null) tokens.push(token);
      at = pattern.lastIndex;
      continue scan;
    }
    throw new UnreadableRule(`unexpected "${rule[at]}"`);
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Times

function clockMinutes(time: ClockToken): number {
  const { hour, minute, meridiem } = time;
  const written = `${hour}:${String(minute).padStart(2, '0')}${meridiem ?? ''}`;
  if (minute > 59) throw new UnreadableRule(`${written} is not a time`);
  if (meridiem !== null) {
    if (hour < 1 || hour > 12) throw new UnreadableRule(`${written} is not a time`);
    return ((hour % 12) + (meridiem === 'pm' ? 12 : 0)) * 60 + minute;
  }
  if (hour > 24 || (hour === 24 && minute > 0)) throw new UnreadableRule(`${written} is not a time`);
  return hour * 60 + minute;
}

/**
 * Turns a written range into minutes since midnight. People write "9-5" and "7-11pm" meaning the
 * afternoon, so a bare one-digit hour that would otherwise end before it starts is read on the
 * 12-hour clock; "11:00-02:00" (two-digit hours) and "10pm-2" stay past midnight.
 */
function openingRange(openToken: ClockToken, closeToken: ClockToken): { open: number; close: number } {
  let open = clockMinutes(openToken);
  let close = clockMinutes(closeToken);
  const halfDay = 12 * 60;

  const openIsMorningGuess = openToken.meridiem === null && !openToken.explicit && openToken.hour >= 1 && openToken.hour <= 11;
  if (openIsMorningGuess && closeToken.meridiem === 'pm' && open + halfDay < close) open += halfDay;

  const closeIsGuess = closeToken.meridiem === null && !closeToken.explicit && closeToken.hour >= 1 && closeToken.hour <= 11;
  if (closeIsGuess && close <= open && close + halfDay > open) close += halfDay;

  if (open === minutesPerDay) throw new UnreadableRule('nothing opens at 24:00');
  // Closing at midnight is written 24:00 whatever the notation, so equal hours hash equally.
  if (close === 0) close = minutesPerDay;
  if (close === open) throw new UnreadableRule('opens and closes at the same time');
  return { open, close };
}

function clock(minutes: number): string {
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${hh}:${mm}`;
}

// ---------------------------------------------------------------------------------------------
// Rules: groups of "days then hours" (or "days closed")

interface DayGroup {
  days: DayOfWeek[];
  /** Empty when the days are closed. */
  ranges: { open: string; close: string }[];
}

class TokenReader {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}
  peek(offset = 0): Token | undefined {
    return this.tokens[this.at + offset];
  }
  next(): Token | undefined {
    return this.tokens[this.at++];
  }
  done(): boolean {
    return this.at >= this.tokens.length;
  }
}

function daysBetween(from: DayOfWeek, to: DayOfWeek): DayOfWeek[] {
  // Ranges wrap over the week end: Fri-Mon is Fri, Sat, Sun, Mon.
  const days: DayOfWeek[] = [];
  for (let i = 0; i < 7; i++) {
    const day = allDays[(from - 1 + i) % 7] as DayOfWeek;
    days.push(day);
    if (day === to) break;
  }
  return days;
}

/** "Mon-Wed, Fri", "Sat Sun", "weekdays"; empty when the rule starts with hours. */
function readDays(reader: TokenReader): DayOfWeek[] {
  const days: DayOfWeek[] = [];
  for (;;) {
    const token = reader.peek();
    if (token?.kind === 'days') {
      reader.next();
      const after = reader.peek();
      const rangeEnd = reader.peek(1);
      if (token.single && after?.kind === 'dash' && rangeEnd?.kind === 'days' && rangeEnd.single) {
        reader.next();
        reader.next();
        days.push(...daysBetween(token.days[0] as DayOfWeek, rangeEnd.days[0] as DayOfWeek));
      } else {
        days.push(...token.days);
      }
      continue;
    }
    if (token?.kind === 'comma' && days.length > 0 && reader.peek(1)?.kind === 'days') {
      reader.next();
      continue;
    }
    return days;
  }
}

/** "9:00-12:00, 13:00-17:00" */
function readRanges(reader: TokenReader): { open: string; close: string }[] {
  const ranges: { open: string; close: string }[] = [];
  for (;;) {
    const open = reader.next();
    if (open?.kind !== 'time') throw new UnreadableRule('expected an opening time');
    if (reader.next()?.kind !== 'dash') throw new UnreadableRule('expected "-" after the opening time');
    const close = reader.next();
    if (close?.kind !== 'time') throw new UnreadableRule('expected a closing time after "-"');
    const range = openingRange(open, close);
    ranges.push({ open: clock(range.open), close: clock(range.close) });

    if (reader.peek()?.kind === 'comma' && reader.peek(1)?.kind === 'time') reader.next();
    if (reader.peek()?.kind !== 'time') return ranges;
  }
}

function readDayGroup(reader: TokenReader, isFirst: boolean): DayGroup {
  if (reader.peek()?.kind === 'closed') {
    // "closed Mondays"; a bare "closed" closes every day.
    reader.next();
    const days = readDays(reader);
    return { days: days.length > 0 ? days : allDays, ranges: [] };
  }
  let days = readDays(reader);
  if (days.length === 0) {
    // As in OSM opening_hours: hours with no days apply to every day.
    if (!isFirst) throw new UnreadableRule('expected days before the hours');
    days = allDays;
  }
  const token = reader.peek();
  if (token?.kind === 'closed') {
    reader.next();
    return { days, ranges: [] };
  }
  if (token?.kind === 'allDay') {
    reader.next();
    return { days, ranges: [{ open: '00:00', close: '24:00' }] };
  }
  if (token === undefined) throw new UnreadableRule('expected hours after the days');
  return { days, ranges: readRanges(reader) };
}

function readRule(rule: string): DayGroup[] {
  const reader = new TokenReader(tokenize(rule.toLowerCase()));
  const groups: DayGroup[] = [];
  while (!reader.done()) {
    groups.push(readDayGroup(reader, groups.length === 0));
    if (reader.peek()?.kind === 'comma') reader.next();
  }
  return groups;
}

// ---------------------------------------------------------------------------------------------
// Seasons ("May 1 - Oct 31:", "2026-05-01..2026-10-31:")

interface Season {
  start_date: string | null;
  end_date: string | null;
}

const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;
const isoSeason = /^(\d{4}-\d{2}-\d{2})(?:\s*(?:\.\.|[-–—]|to|until|through|thru)\s*(\d{4}-\d{2}-\d{2}))?$/;
const seasonSeparator = /\s*(?:\.\.|[-–—]|\bto\b|\buntil\b|\bthrough\b|\bthru\b)\s*/;

function isRealIsoDate(text: string): boolean {
  const match = isoDate.exec(text);
  if (match === null) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** "May 1", "1 May", "May 1st", or a bare month ("May": its first or last day). */
function monthDay(text: string, end: boolean): string | null {
  const words = text.replace(/\./g, ' ').trim().split(/\s+/);
  let month: number | undefined;
  let day: number | undefined;
  for (const word of words) {
    const number = /^(\d{1,2})(?:st|nd|rd|th)?$/.exec(word);
    if (number !== null && day === undefined) day = Number(number[1]);
    else if (monthWords[word] !== undefined && month === undefined) month = monthWords[word];
    else return null;
  }
  if (month === undefined) return null;
  const last = lastDayOfMonth[month - 1] ?? 31;
  const dayOfMonth = day ?? (end ? last : 1);
  if (dayOfMonth < 1 || dayOfMonth > last) return null;
  return `${String(month).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')}`;
}

/** The season a rule's head names, or null when the head is not a season (e.g. "Sat: 10-14"). */
function readSeason(head: string): Season | null {
  const text = head.trim().toLowerCase();
  const iso = isoSeason.exec(text);
  if (iso !== null) {
    const start = iso[1] ?? '';
    const end = iso[2] ?? start;
    if (!isRealIsoDate(start) || !isRealIsoDate(end) || start > end) return null;
    return { start_date: start, end_date: end };
  }
  const parts = text.split(seasonSeparator);
  if (parts.length > 2) return null;
  const [startText = '', endText] = parts;
  const start = monthDay(startText, false);
  // A single date ("Dec 25") is a one-day season; a single month ("May") is the whole month.
  const end = monthDay(endText ?? startText, true);
  if (start === null || end === null) return null;
  return { start_date: start, end_date: end };
}

/** A head that starts like a date ("May 32 - Oct 31", "2026-13-01") but is not one. */
function looksLikeSeason(head: string): boolean {
  const firstWord = head.trim().toLowerCase().split(/[\s.\-–—]/)[0] ?? '';
  return /^\d{4}$/.test(firstWord) || monthWords[firstWord] !== undefined;
}

function splitSeason(rule: string): { season: Season | null; body: string } {
  const colon = rule.indexOf(':');
  if (colon < 0) return { season: null, body: rule };
  const head = rule.slice(0, colon);
  const season = readSeason(head);
  if (season !== null) return { season, body: rule.slice(colon + 1) };
  if (looksLikeSeason(head)) throw new UnreadableSeason(`"${head.trim()}" is not a date or date range`);
  return { season: null, body: rule };
}

// ---------------------------------------------------------------------------------------------
// The whole text

/** Hours of one season, by day; a later rule for a day replaces the earlier one ("Daily 10-18; Mon closed"). */
type SeasonHours = { season: Season; days: Map<DayOfWeek, { open: string; close: string }[]> };

const seasonKey = (season: Season) => `${season.start_date ?? ''}|${season.end_date ?? ''}`;
const noSeason: Season = { start_date: null, end_date: null };

/**
 * Rules are separated by ';', '|' or new lines. A season prefix ("May 1 - Oct 31:") applies to its
 * rule and the rules after it, until the next season prefix.
 */
export function parseOpeningHours(text: string): ParsedOpeningHours {
  const seasons = new Map<string, SeasonHours>();
  const problems: string[] = [];
  // After an unreadable season its rules are reported too: they must not land in the wrong season.
  let current: Season | 'unreadable' = noSeason;

  for (const piece of text.split(/[;|\n\r]+/)) {
    const rule = piece.trim();
    if (rule === '') continue;
    try {
      const { season, body } = splitSeason(rule);
      if (season !== null) current = season;
      if (current === 'unreadable') throw new UnreadableRule('its season above could not be read');
      const groups = readRule(body);
      const key = seasonKey(current);
      const hours = seasons.get(key) ?? { season: current, days: new Map() };
      for (const group of groups) {
        for (const day of group.days) hours.days.set(day, group.ranges);
      }
      seasons.set(key, hours);
    } catch (error) {
      if (!(error instanceof UnreadableRule)) throw error;
      if (error instanceof UnreadableSeason) current = 'unreadable';
      problems.push(`could not read "${rule}": ${error.message}`);
    }
  }

  const periods = [...seasons.values()].filter(isWorthKeeping).map(({ season, days }) => ({ ...season, hours: sortedHours(days) }));
  return { periods: sortedPeriods(periods), problems };
}

/**
 * A season whose days are all closed is kept ("Dec 25: closed" is information); hours with no
 * season and no open day say nothing ("Closed" alone).
 */
function isWorthKeeping({ season, days }: SeasonHours): boolean {
  const anyOpen = [...days.values()].some((ranges) => ranges.length > 0);
  const dated = season.start_date !== null || season.end_date !== null;
  return anyOpen || (dated && days.size > 0);
}

function sortedHours(days: Map<DayOfWeek, { open: string; close: string }[]>): OpeningHours[] {
  const hours: OpeningHours[] = [];
  const seen = new Set<string>();
  for (const [day, ranges] of days) {
    for (const range of ranges) {
      const key = `${day}|${range.open}|${range.close}`;
      if (seen.has(key)) continue;
      seen.add(key);
      hours.push({ day, open: range.open, close: range.close });
    }
  }
  return hours.sort(compareHours);
}

export function compareHours(a: OpeningHours, b: OpeningHours): number {
  return a.day - b.day || compareText(a.open, b.open) || compareText(a.close, b.close);
}

/** Undated hours first, then seasons by start and end. */
export function comparePeriods(a: OpeningPeriod, b: OpeningPeriod): number {
  return compareText(a.start_date ?? '', b.start_date ?? '') || compareText(a.end_date ?? '', b.end_date ?? '');
}

function sortedPeriods(periods: OpeningPeriod[]): OpeningPeriod[] {
  return periods.sort(comparePeriods);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
