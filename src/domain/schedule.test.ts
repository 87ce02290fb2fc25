import { cronPatternOf, isScheduled } from './schedule';

test.each([
  ['manual', null],
  ['hourly', '0 * * * *'],
  ['daily', '0 3 * * *'],
  ['weekly', '0 3 * * 1'],
  ['monthly', '0 3 1 * *'],
  ['*/15 6-20 * * *', '*/15 6-20 * * *'],
])('%s runs on %s', (schedule, pattern) => {
  expect(cronPatternOf(schedule)).toBe(pattern);
});

test('only an active config with a schedule has recurring runs', () => {
  expect(isScheduled({ schedule: 'daily', active: true })).toBe(true);
  expect(isScheduled({ schedule: 'daily', active: false })).toBe(false);
  expect(isScheduled({ schedule: 'manual', active: true })).toBe(false);
});
