import { load } from 'cheerio';
import { linkTarget, readFields } from './page-fields';

const page = new URL('https://www.example.org/places/harbour-inn');
const $ = load(`<html><body>
  <h1>  Harbour Inn  </h1>
  <div class="description"><p>Fish &amp; chips &lt;daily&gt;.</p>
  <p>Second paragraph.</p></div>
  <div class="map" data-lat="44.6001" data-lng="-63.5001"></div>
  <span class="empty">  </span><span class="tag">Seafood</span><span class="tag">Family</span>
  <img src="/images/a.jpg"><img src="b.jpg"><img src="https://cdn.example.net/c.jpg"><img>
  <a class="site" href="../contact">Contact</a>
</body></html>`);

describe('the fields of a scraped page', () => {
  it('content as HTML (the transform makes it text once), attributes as they are, URLs resolved against the page', () => {
    expect(readFields($, null, {
      name: { selector: 'h1' },
      description: { selector: '.description' },
      lat: { selector: '.map', attr: 'data-lat' },
      images: { selector: 'img', attr: 'src', many: true },
      tags: { selector: '.tag', many: true },
      contact: { selector: 'a.site', attr: 'href' },
    }, page)).toEqual({
      name: 'Harbour Inn',
      description: '<p>Fish &amp; chips &lt;daily&gt;.</p>\n  <p>Second paragraph.</p>',
      lat: '44.6001',
      images: ['https://www.example.org/images/a.jpg', 'https://www.example.org/places/b.jpg', 'https://cdn.example.net/c.jpg'],
      tags: ['Seafood', 'Family'],
      contact: 'https://www.example.org/contact',
    });
  });

  it('a selector that matches nothing, or only empty elements, leaves its field out', () => {
    expect(readFields($, null, { phone: { selector: '.phone' }, empty: { selector: '.empty' }, none: { selector: '.empty', many: true } }, page)).toEqual({});
  });

  it('without many, the first match that has a value', () => {
    expect(readFields($, null, { tag: { selector: 'span' } }, page)).toEqual({ tag: 'Seafood' });
  });

  it('within a list item, only that item', () => {
    const list = load('<ul><li><b>One</b></li><li><b>Two</b></li></ul>');
    const second = list(list('li').toArray()[1]!);
    expect(readFields(list, second, { name: { selector: 'b' } }, page)).toEqual({ name: 'Two' });
  });

  it('a list item\'s own attributes: the item itself matches first', () => {
    const list = load('<article data-id="7"><a data-id="8" href="/p/7">Seven</a></article>');
    expect(readFields(list, list('article'), { id: { selector: '[data-id]', attr: 'data-id' }, ids: { selector: '[data-id]', attr: 'data-id', many: true } }, page))
      .toEqual({ id: '7', ids: ['7', '8'] });
  });
});

describe('a link target', () => {
  it.each([
    ['/places/2', 'https://www.example.org/places/2'],
    ['?page=3#top', 'https://www.example.org/places/harbour-inn?page=3'],
    ['mailto:info@example.org', null],
    ['javascript:void(0)', null],
    ['', null],
    [undefined, null],
  ])('%p → %p', (href, expected) => expect(linkTarget(href, page)?.href ?? null).toBe(expected));
});
