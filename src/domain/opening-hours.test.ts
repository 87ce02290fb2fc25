import { openingPeriodSchema, parseOpeningHours, type DayOfWeek, type OpeningHours, type OpeningPeriod } from './opening-hours';

const weekdays: DayOfWeek[] = [1, 2, 3, 4, 5];
const everyDay: DayOfWeek[] = [1, 2, 3, 4, 5, 6, 7];

/** The same hours on each of `days`. */
function on(days: DayOfWeek[], open: string, close: string): OpeningHours[] {
  return days.map((day) => ({ day, open, close }));
}

function sorted(hours: OpeningHours[]): OpeningHours[] {
  return [...hours].sort((a, b) => a.day - b.day || a.open.localeCompare(b.open));
}

function allYear(...hours: OpeningHours[][]): OpeningPeriod[] {
  return [{ start_date: null, end_date: null, hours: sorted(hours.flat()) }];
}

function season(start: string, end: string, ...hours: OpeningHours[][]): OpeningPeriod {
  return { start_date: start, end_date: end, hours: sorted(hours.flat()) };
}

describe('parseOpeningHours reads', () => {
  test.each<[string, string, OpeningPeriod[]]>([
    ['day ranges and single days', 'Mon-Fri 09:00-17:00; Sat 10:00-14:00', allYear(on(weekdays, '09:00', '17:00'), on([6], '10:00', '14:00'))],
    ['two-letter days and am/pm', 'Mo-Su 8am-10pm', allYear(on(everyDay, '08:00', '22:00'))],
    ['day lists with split hours', 'Tue,Thu 9:00-12:00, 13:00-17:00', allYear(on([2, 4], '09:00', '12:00'), on([2, 4], '13:00', '17:00'))],
    ['"Daily" with bare hours', 'Daily 10-18', allYear(on(everyDay, '10:00', '18:00'))],
    ['past midnight, close kept as written', 'Mon-Sun 11:00-02:00', allYear(on(everyDay, '11:00', '02:00'))],
    ['a range wrapping over the weekend', 'Fri-Mon 12-22', allYear(on([5, 6, 7, 1], '12:00', '22:00'))],
    ['full day names, a label colon and spaced am/pm', 'Monday - Friday: 9:00 AM - 5:00 PM', allYear(on(weekdays, '09:00', '17:00'))],
    ['dotted am/pm and "to"', 'Sat 10 a.m. to 4 p.m.', allYear(on([6], '10:00', '16:00'))],
    ['en dash', 'Thu 13:00–17:00', allYear(on([4], '13:00', '17:00'))],
    ['"and" between hours', 'Mon-Fri 9-12 and 13-17', allYear(on(weekdays, '09:00', '12:00'), on(weekdays, '13:00', '17:00'))],
    ['groups separated by commas', 'Mon-Fri 9am-5pm, Sat-Sun 10am-4pm', allYear(on(weekdays, '09:00', '17:00'), on([6, 7], '10:00', '16:00'))],
    ['groups separated by a full stop', 'Mon-Fri 9-5. Sat 10-2', allYear(on(weekdays, '09:00', '17:00'), on([6], '10:00', '14:00'))],
    ['rules on separate lines', 'Mon 9-12\nWed 14-18', allYear(on([1], '09:00', '12:00'), on([3], '14:00', '18:00'))],
    ['weekdays and weekends', 'Weekdays 8-18; Weekends 10-16', allYear(on(weekdays, '08:00', '18:00'), on([6, 7], '10:00', '16:00'))],
    ['"9-5" as the working day', 'Mon 9-5', allYear(on([1], '09:00', '17:00'))],
    ['"11-10" as 11am to 10pm', 'Sun 11-10', allYear(on([7], '11:00', '22:00'))],
    ['"7-11pm" as an evening', 'Fri 7-11pm', allYear(on([5], '19:00', '23:00'))],
    ['"10pm-2" past midnight', 'Sat 10pm-2', allYear(on([6], '22:00', '02:00'))],
    ['"10-10" as 10am to 10pm', 'Mon 10-10', allYear(on([1], '10:00', '22:00'))],
    ['French-style hours', 'Mon 10h-18h30', allYear(on([1], '10:00', '18:30'))],
    ['a midnight close written 00:00 as 24:00', 'Fri 18:00-00:00', allYear(on([5], '18:00', '24:00'))],
    ['noon and midnight', 'Sat noon-midnight', allYear(on([6], '12:00', '24:00'))],
    ['24/7', '24/7', allYear(on(everyDay, '00:00', '24:00'))],
    ['"open 24 hours" on some days', 'Fri-Sat open 24 hours', allYear(on([5, 6], '00:00', '24:00'))],
    ['hours without days apply every day, as in OSM', '10:00-18:00', allYear(on(everyDay, '10:00', '18:00'))],
    ['a closed day after a daily rule', 'Daily 10-18; Mon closed', allYear(on([2, 3, 4, 5, 6, 7], '10:00', '18:00'))],
    ['"closed Mondays"', 'Daily 10-18; closed Mondays', allYear(on([2, 3, 4, 5, 6, 7], '10:00', '18:00'))],
    ['a later rule for a day replaces the earlier one', 'Mon-Fri 9-17; Wed 9-12', allYear(on([1, 2, 4, 5], '09:00', '17:00'), on([3], '09:00', '12:00'))],
    ['a season by month names', 'May 1 - Oct 31: Mon-Fri 9-5', [season('05-01', '10-31', on(weekdays, '09:00', '17:00'))]],
    ['a season by ISO dates', '2026-05-01..2026-10-31: Sat-Sun 10-16', [season('2026-05-01', '2026-10-31', on([6, 7], '10:00', '16:00'))]],
    ['a season day-first with ordinals', '1st May to 30th Sept: Sun 10-14', [season('05-01', '09-30', on([7], '10:00', '14:00'))]],
    ['a season of whole months, over new year', 'Nov - Mar: Sat, Sun 10-4', [season('11-01', '03-31', on([6, 7], '10:00', '16:00'))]],
    ['a February season ends on the 29th', 'Feb: Sat 10-12', [season('02-01', '02-29', on([6], '10:00', '12:00'))]],
    [
      'a season prefix applies until the next one, undated hours first',
      'Nov 1 - Apr 30: Sat 10-16; May 1 - Oct 31: Daily 9-18; Mon closed',
      [season('05-01', '10-31', on([2, 3, 4, 5, 6, 7], '09:00', '18:00')), season('11-01', '04-30', on([6], '10:00', '16:00'))],
    ],
    [
      'a season on its own line',
      'Mon-Fri 9-17\nJun 1 - Aug 31:\nSat 10-14',
      [...allYear(on(weekdays, '09:00', '17:00')), season('06-01', '08-31', on([6], '10:00', '14:00'))],
    ],
    ['a closed holiday is kept as a season without hours', 'Dec 25: closed', [season('12-25', '12-25')]],
    ['"Closed" alone says nothing', 'Closed', []],
    ['empty text', '', []],
  ])('%s: %p', (_case, text, expected) => {
    const result = parseOpeningHours(text);
    expect(result.problems).toEqual([]);
    expect(result.periods).toEqual(expected);
  });
});

describe('parseOpeningHours reports what it cannot read, quoting the piece', () => {
  test.each<[string, string, OpeningPeriod[], string[]]>([
    ['a sentence', 'call for hours', [], ['could not read "call for hours": unknown word "call"']],
    ['an impossible hour', 'Mon 25:00-26:00', [], ['could not read "Mon 25:00-26:00": 25:00 is not a time']],
    ['an impossible am/pm hour', 'Mon 13pm-2pm', [], ['could not read "Mon 13pm-2pm": 13:00pm is not a time']],
    ['days without hours', 'Mon-Fri', [], ['could not read "Mon-Fri": expected hours after the days']],
    ['an open time without close', 'Mon 9-', [], ['could not read "Mon 9-": expected a closing time after "-"']],
    ['opening and closing at the same time', 'Mon 14:00-14:00', [], ['could not read "Mon 14:00-14:00": opens and closes at the same time']],
    [
      'one bad rule among good ones keeps the good ones',
      'Mon-Fri 9-17; Sat by appointment',
      allYear(on(weekdays, '09:00', '17:00')),
      ['could not read "Sat by appointment": unknown word "by"'],
    ],
    [
      'an impossible season, and the rules under it',
      'May 32 - Oct 31: Mon 9-5; Sat 10-12; Nov 1 - Apr 30: Sun 10-12',
      [season('11-01', '04-30', on([7], '10:00', '12:00'))],
      [
        'could not read "May 32 - Oct 31: Mon 9-5": "May 32 - Oct 31" is not a date or date range',
        'could not read "Sat 10-12": its season above could not be read',
      ],
    ],
    [
      'an ISO season that ends before it starts',
      '2026-10-31..2026-05-01: Mon 9-5',
      [],
      ['could not read "2026-10-31..2026-05-01: Mon 9-5": "2026-10-31..2026-05-01" is not a date or date range'],
    ],
  ])('%s: %p', (_case, text, periods, problems) => {
    expect(parseOpeningHours(text)).toEqual({ periods, problems });
  });
});

describe('parseOpeningHours output', () => {
  test('is sorted by day then opening time whatever the order of the text', () => {
    const a = parseOpeningHours('Sat 14-18; Mon 13-17; Sat 10-12, 9-10; Mon 8-12');
    expect(a.periods[0]?.hours.map((h) => `${h.day} ${h.open}`)).toEqual(['1 08:00', '6 09:00', '6 10:00']);
  });

  test('is the same for the same hours written differently', () => {
    const written = ['Mon-Fri 09:00-17:00', 'Monday to Friday 9am-5pm', 'mo,tu,we,th,fr 9-17', 'Weekdays 9:00-17:00'];
    const results = written.map((text) => parseOpeningHours(text));
    for (const result of results) expect(result).toEqual(results[0]);
  });

  test('fits the OpeningPeriod schema', () => {
    const { periods } = parseOpeningHours('2026-05-01..2026-10-31: Fri 18:00-00:00; May 1 - Oct 31: Mon-Sun 11:00-02:00; 24/7');
    for (const period of periods) expect(openingPeriodSchema.parse(period)).toEqual(period);
  });
});
