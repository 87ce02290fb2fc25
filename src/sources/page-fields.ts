// The source fields of one scraped record, read from a page (or one list item of it) by the config's
// selectors (import.fields): an element's content, or one of its attributes; the first match, or
// every match with `many`. URL attributes (an image's src, a link's href) resolve against the page.
import type { Cheerio, CheerioAPI } from 'cheerio';
import type { AnyNode } from 'domhandler';

export interface FieldRule {
  selector: string;
  attr?: string;
  many?: boolean;
}

export type ScrapedValue = string | string[];

/** Attributes that hold a URL: read as an absolute URL, so a relative image path can be fetched later. */
const urlAttributes = new Set(['href', 'src', 'data-src', 'data-href', 'data-url', 'poster', 'action', 'cite']);

/**
 * One element's value. Its content is taken as HTML, not .text(): the transform turns HTML into text
 * once (htmlToText), so paragraphs stay paragraphs and an escaped "&lt;open&gt;" stays "<open>"
 * (text decoded here would be read as markup there and dropped).
 */
function valueOf($: CheerioAPI, element: AnyNode, rule: FieldRule, base: URL): string | null {
  const node = $(element);
  if (!rule.attr) return node.text().trim() ? (node.html() ?? '').trim() : null;
  const value = node.attr(rule.attr)?.trim();
  if (!value) return null;
  if (!urlAttributes.has(rule.attr.toLowerCase())) return value;
  try {
    return new URL(value, base).href;
  } catch {
    return value; // not a URL at all: the transform's checks say so with the record's line
  }
}

/**
 * The elements a selector matches within the scope (a list item), the item itself first when it
 * matches (so `[data-id]` reads an <article data-id>), or in the whole page without one.
 */
export function select($: CheerioAPI, scope: Cheerio<AnyNode> | null, selector: string): Cheerio<AnyNode> {
  return scope ? scope.filter(selector).add(scope.find(selector)) : $(selector);
}

/**
 * The record's fields: each rule's value, or its values with `many`. A selector that matched nothing
 * (or only empty elements) leaves its field out, so that a field empty on every record can be told.
 */
export function readFields($: CheerioAPI, scope: Cheerio<AnyNode> | null, rules: Record<string, FieldRule>, base: URL): Record<string, ScrapedValue> {
  const fields: Record<string, ScrapedValue> = {};
  for (const [name, rule] of Object.entries(rules)) {
    const matches = select($, scope, rule.selector).toArray();
    const values: string[] = [];
    for (const element of matches) {
      const value = valueOf($, element, rule, base);
      if (value !== null) values.push(value);
      if (values.length && !rule.many) break; // the first match that has a value
    }
    if (values.length) fields[name] = rule.many ? values : values[0]!;
  }
  return fields;
}

/** A link's target as an absolute http(s) URL, or null (no href, a mailto:, a javascript: link). */
export function linkTarget(href: string | undefined, base: URL): URL | null {
  if (!href?.trim()) return null;
  try {
    const url = new URL(href.trim(), base);
    url.hash = ''; // the same page, whatever part of it a link points at
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}
