import { isBlank, isLikelyEmail, isLikelyUrl, normalizePhone, readList, readNumber } from './values';

describe('readNumber', () => {
  test.each<[unknown, number]>([
    ['45.5', 45.5],
    [' -63,5 ', -63.5],
    ['-63.5806', -63.5806],
    ['+7', 7],
    ['0', 0],
    ['.5', 0.5],
    ['1.', 1],
    ['1e3', 1000],
    ['1,234', 1.234], // one comma and no dot: a decimal comma
    [44.6475, 44.6475],
  ])('reads %p as %p', (raw, value) => {
    expect(readNumber(raw)).toEqual({ ok: true, value });
  });

  test.each<[unknown, string]>([
    ['abc', '"abc" is not a number'],
    ['', 'is empty'],
    ['   ', 'is empty'],
    ['1e999', '"1e999" is out of range'],
    ['1,234.5', '"1,234.5" is not a number'],
    ['1,234,567', '"1,234,567" is not a number'],
    ['12abc', '"12abc" is not a number'],
    ['0x10', '"0x10" is not a number'],
    ['Infinity', '"Infinity" is not a number'],
    ['NaN', '"NaN" is not a number'],
    ['45 30', '"45 30" is not a number'],
    [Number.NaN, 'NaN is not a finite number'],
    [null, 'expected a number, got null'],
    [true, 'expected a number, got boolean'],
    [['1'], 'expected a number, got a list'],
  ])('refuses %p: %s', (raw, reason) => {
    expect(readNumber(raw)).toEqual({ ok: false, reason });
  });
});

describe('isBlank', () => {
  test.each<[unknown, boolean]>([
    [null, true],
    [undefined, true],
    ['', true],
    [' \t', true],
    ['0', false],
    [0, false],
    [[], false],
  ])('%p → %p', (raw, blank) => {
    expect(isBlank(raw)).toBe(blank);
  });
});

describe('readList', () => {
  test.each<[unknown, string | undefined, string[]]>([
    ['a.jpg|b.jpg', undefined, ['a.jpg', 'b.jpg']],
    [' a.jpg | | b.jpg |', undefined, ['a.jpg', 'b.jpg']],
    ['Parking; Free WiFi ;', ';', ['Parking', 'Free WiFi']],
    ['one item', '|', ['one item']],
    ['a, b', ', ', ['a', 'b']],
    [['  x ', '', null, 'y'], '|', ['x', 'y']],
    [[1, 2], '|', ['1', '2']],
    ['', '|', []],
    [null, '|', []],
    [undefined, '|', []],
    ['a|b', '', ['a|b']],
  ])('%p split on %p → %p', (raw, separator, items) => {
    expect(separator === undefined ? readList(raw) : readList(raw, separator)).toEqual(items);
  });
});

describe('isLikelyEmail', () => {
  test.each<[string | null, boolean]>([
    ['info@example.com', true],
    [' Info.Desk@mail.example.co.uk ', true],
    ['first+tag@example.org', true],
    ['info.example.com', false],
    ['info@example', false],
    ['info@@example.com', false],
    ['in fo@example.com', false],
    ['@example.com', false],
    ['info@.com', false],
    ['', false],
    [null, false],
  ])('%p → %p', (value, likely) => {
    expect(isLikelyEmail(value)).toBe(likely);
  });
});

describe('isLikelyUrl', () => {
  test.each<[string | null, boolean]>([
    ['https://example.com', true],
    ['http://www.example.com/path?q=1', true],
    [' https://example.com/a b ', false],
    ['https://example.com/a%20b', true],
    ['http://192.168.0.10/', true],
    ['ftp://example.com', false],
    ['mailto:info@example.com', false],
    ['javascript:alert(1)', false],
    ['www.example.com', false],
    ['https://localhost', false],
    ['https://', false],
    ['', false],
    [null, false],
  ])('%p → %p', (value, likely) => {
    expect(isLikelyUrl(value)).toBe(likely);
  });
});

describe('normalizePhone', () => {
  test.each<[string | null | undefined, string | null]>([
    ['+1 (902) 555-0123', '+19025550123'],
    ['902.555.0123', '9025550123'],
    ['00 44 20 7946 0958', '00442079460958'],
    ['+44 (0)20 7946 0958', '+4402079460958'],
    ['902-555-0123 ext. 45', '9025550123'],
    ['902-555-0123 x45', '9025550123'],
    ['Tel: 902 555 0123', '9025550123'],
    ['Tel: +1 902 555 0123', '+19025550123'],
    ['902 555+0123', '9025550123'],
    ['555 12', '55512'],
    ['1234', null],
    ['+1 23', null],
    ['call us', null],
    ['', null],
    [null, null],
    [undefined, null],
  ])('%p → %p', (raw, phone) => {
    expect(normalizePhone(raw)).toBe(phone);
  });
});
