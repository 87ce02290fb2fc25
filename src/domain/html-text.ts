// Source fields that are HTML (WordPress content.rendered, Drupal body.processed, a scraped block)
// become plain text with entities decoded, by html-to-text, so the same description read from a CSV
// and from WordPress compares equal and no markup reaches a hash or production.
import { compile } from 'html-to-text';

// Only what looks like markup or an entity is converted: plain text (most CSV cells) is left as it is.
const looksLikeHtml = /<\/?[a-z][a-z0-9-]*(\s[^>]*)?\/?>|<!--|&(#\d+|#x[0-9a-f]+|[a-z][a-z0-9]+);/i;

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

/** The text of a value that is HTML; any other value unchanged. */
export function htmlToText(value: string): string {
  if (!looksLikeHtml.test(value)) return value;
  // paragraphs are one blank line apart in html-to-text; a description keeps single line breaks
  return toText(value).replace(/\n{3,}/g, '\n\n');
}
