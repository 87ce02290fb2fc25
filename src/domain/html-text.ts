// Source fields that are HTML (WordPress content.rendered, Drupal body.processed, a scraped block)
// become plain text with entities decoded, by html-to-text, so the same description read from a CSV
// and from WordPress compares equal and no markup reaches a hash or production.
import { decodeHTML } from 'entities';
import { compile } from 'html-to-text';

// Markup is a tag of HTML's own elements, or a comment: a word in angle brackets in a CSV cell
// ("<daily>") is text. Only markup is laid out as HTML (its line breaks are spaces); text with
// entities only (Caf&eacute;) has them decoded and keeps its own line breaks.
const htmlElements = 'a|abbr|address|article|aside|b|blockquote|br|caption|cite|code|dd|del|details|div|dl|dt|em|figcaption|figure|' +
  'font|footer|h[1-6]|header|hr|i|iframe|img|ins|li|link|main|mark|meta|nav|noscript|object|ol|p|picture|pre|q|s|script|section|' +
  'small|source|span|strong|style|sub|summary|sup|svg|table|tbody|td|tfoot|th|thead|time|tr|u|ul|video';
const looksLikeMarkup = new RegExp(`<\\/?(${htmlElements})(\\s[^>]*)?\\/?>|<!--`, 'i');
const hasEntity = /&(#\d+|#x[0-9a-f]+|[a-z][a-z0-9]+);/i;

const toText = compile({
  wordwrap: false,
  preserveNewlines: false,
  selectors: [
    { selector: 'a', options: { ignoreHref: true } },
    { selector: 'img', format: 'skip' },
    { selector: 'script', format: 'skip' },
    { selector: 'style', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'h4', options: { uppercase: false } },
    { selector: 'h5', options: { uppercase: false } },
    { selector: 'h6', options: { uppercase: false } },
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false } },
  ],
});

/** The text of a value that is HTML, entities decoded; any other value unchanged. */
export function htmlToText(value: string): string {
  if (looksLikeMarkup.test(value)) return toText(value).replace(/\n{3,}/g, '\n\n');
  return hasEntity.test(value) ? decodeHTML(value) : value;
}
