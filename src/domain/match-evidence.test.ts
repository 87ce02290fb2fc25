import { phoneE164, phoneEvidence, websiteEvidence } from './match-evidence';

describe('phoneE164', () => {
  test.each<[raw: string | null | undefined, country: string | undefined, e164: string | null]>([
    ['+1 514-849-2050', undefined, '+15148492050'],
    ['(514) 849 2050', 'CA', '+15148492050'],
    ['514.849.2050', 'ca', '+15148492050'],
    ['tel:+1-514-849-2050', undefined, '+15148492050'],
    // an extension is the same place
    ['514 849 2050 ext. 12', 'CA', '+15148492050'],
    ['01 42 68 53 00', 'FR', '+33142685300'],
    ['+33 1 42 68 53 00', 'DE', '+33142685300'],
    ['030 2345678', 'DE', '+49302345678'],
    ['020 7946 0958', 'GB', '+442079460958'],
    // a national number without the DMO's country cannot be read
    ['(514) 849 2050', undefined, null],
    ['(514) 849 2050', 'XX', null],
    // not a number, or not one in use
    ['555-0100', 'US', null],
    ['call us', 'CA', null],
    ['', 'CA', null],
    [null, 'CA', null],
    [undefined, 'CA', null],
  ])('%p in %p → %p', (raw, country, e164) => {
    expect(phoneE164(raw, country)).toBe(e164);
  });

  test('a toll-free line is shared; a direct line is not', () => {
    expect(phoneEvidence('+18005551234')?.shared).toBe(true);
    expect(phoneEvidence('+448001234567')?.shared).toBe(true);
    expect(phoneEvidence('+15148492050')?.shared).toBe(false);
  });
});

describe('websiteEvidence: the page and the registrable host', () => {
  test.each<[raw: string | null | undefined, key: string | null, host: string | null]>([
    ['example.com', 'example.com', 'example.com'],
    ['https://www.Example.com/', 'example.com', 'example.com'],
    ['HTTPS://WWW.EXAMPLE.COM', 'example.com', 'example.com'],
    ['http://example.com:80/', 'example.com', 'example.com'],
    ['https://example.com:443/rooms/', 'example.com/rooms', 'example.com'],
    // tracking parameters go, the rest is sorted; the fragment goes
    ['http://example.com/a/?utm_source=x&b=2&a=1#top', 'example.com/a?a=1&b=2', 'example.com'],
    ['www.example.com?fbclid=IwAR0&gclid=1&mc_cid=2&ref=visit', 'example.com', 'example.com'],
    // the path keeps its case: servers may tell /Rooms from /rooms
    ['example.com/Rooms', 'example.com/Rooms', 'example.com'],
    ['https://user:secret@example.com', 'example.com', 'example.com'],
    ['https://example.com:8443/x', 'example.com:8443/x', 'example.com'],
    // the registrable host: a chain's branches share it
    ['https://www3.hilton.com/en/hotels/yulmt', 'www3.hilton.com/en/hotels/yulmt', 'hilton.com'],
    ['https://book.hotel.co.uk/rooms', 'book.hotel.co.uk/rooms', 'hotel.co.uk'],
    ['https://www.bonjourquebec.qc.ca', 'bonjourquebec.qc.ca', 'bonjourquebec.qc.ca'],
    // garbage
    ['n/a', null, null],
    ['none', null, null],
    ['-', null, null],
    ['www', null, null],
    ['http://', null, null],
    ['not a url', null, null],
    ['info@example.com', null, null],
    ['mailto:info@example.com', null, null],
    ['ftp://example.com', null, null],
    ['', null, null],
    [null, null, null],
  ])('%p → %p, %p', (raw, key, host) => {
    const website = websiteEvidence(raw);
    expect([website?.key ?? null, website?.host ?? null]).toEqual([key, host]);
  });
});
