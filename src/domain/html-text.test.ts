import { htmlToText } from './html-text';

test('markup becomes text with entities decoded, links and images dropped', () => {
  expect(htmlToText('<p>Fish &amp; chips by the <a href="https://example.org">harbour</a>.</p><img src="x.jpg">'))
    .toBe('Fish & chips by the harbour.');
  expect(htmlToText('Caf&eacute; &#8211; open daily')).toBe('Café – open daily');
});

test('paragraphs and breaks stay lines apart; headings keep their case', () => {
  expect(htmlToText('<h2>Rooms</h2><p>Twelve rooms.</p><p>Sea view<br>and garden.</p>')).toBe('Rooms\n\nTwelve rooms.\n\nSea view\nand garden.');
});

test('scripts and styles say nothing', () => {
  expect(htmlToText('<style>p{color:red}</style><p>Open</p><script>alert(1)</script>')).toBe('Open');
});

test('plain text, even with < or &, is left as it is', () => {
  expect(htmlToText('Fish & Chips')).toBe('Fish & Chips');
  expect(htmlToText('Rooms < $100 & > $50')).toBe('Rooms < $100 & > $50');
});

test('a word in angle brackets is text, not a tag; entities alone are decoded and the line breaks kept', () => {
  expect(htmlToText('Open "all day" <daily>.')).toBe('Open "all day" <daily>.');
  expect(htmlToText('Caf&eacute;\n\nOpen &lt;daily&gt;')).toBe('Café\n\nOpen <daily>');
  expect(htmlToText('<IMG SRC=x onerror=alert(1)>')).toBe('');
  expect(htmlToText('Sea view<br/>garden')).toBe('Sea view\ngarden');
});
