// A WordPress site's posts (or pages, or a custom post type) through its REST API, a page at a time:
// GET {base_url}/wp-json/wp/v2/{post_type}?per_page=&page=N (&_embed), as many pages as the first
// page's X-WP-TotalPages says. Each post is one record as WordPress gives it, so map_fields reads
// title.rendered, acf.*, meta.*, _embedded.wp:featuredmedia.0.source_url.
//
// A site that needs signing in (private post types, drafts) gets HTTP Basic with import.username
// and an application password (WordPress 5.6+'s own way for programs to sign in).
import { HttpError, redactUrl } from '../http/client';
import { apiRoot, basicAuth, checkPageCount, describeJson, fetchJsonPage, maxPages, SeenRecords, siteBaseUrl } from './site-pages';
import { SourceError, type SourceOpener, type SourceRecord } from './source';

/** The canonical fields every WordPress post names, used where the config maps nothing itself. */
const wordpressFields = {
  'listings.name': 'title.rendered',
  'listing_info.description': 'content.rendered',
  'listing_images.image': '_embedded.wp:featuredmedia.0.source_url',
  // not `link` as the website: that is the post's own page on the DMO's site, not the business's
};

const api = 'the WordPress REST API';

type Post = Record<string, unknown> & { id: number };

const isPost = (value: unknown): value is Post =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Number.isInteger((value as { id?: unknown }).id);

/** A count header (X-WP-Total, X-WP-TotalPages) as a number, or null when the site sent none we can read. */
function countHeader(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value;
  return text !== undefined && /^\s*\d+\s*$/.test(text) ? Number(text) : null;
}

export const openWordPress: SourceOpener = async ({ config, credentials, http, signal, log }) => {
  const { post_type: postType, per_page: perPage, embed, query } = config.import;
  const listUrl = apiRoot(siteBaseUrl(config, 'WordPress'), 'wp-json');
  const signIn = basicAuth(config, credentials, 'application_password', 'WordPress');
  listUrl.pathname += `/wp/v2/${postType}`;

  const pageUrl = (page: number) => {
    const url = new URL(listUrl);
    for (const [name, value] of Object.entries(query ?? {})) url.searchParams.set(name, value);
    // by id, oldest first: a post published while the site is read comes last instead of pushing
    // every later page one post on (the default, newest first, would read one post twice)
    if (!url.searchParams.has('orderby') && !url.searchParams.has('order')) {
      url.searchParams.set('orderby', 'id');
      url.searchParams.set('order', 'asc');
    }
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(page));
    if (embed) url.searchParams.set('_embed', '1');
    return url;
  };

  async function* posts(): AsyncGenerator<SourceRecord> {
    const seen = new SeenRecords('post');
    let promised: { posts: number | null; pages: number | null } = { posts: null, pages: null };
    let line = 0;
    for (let page = 1; ; page += 1) {
      const url = pageUrl(page);
      checkPageCount(page, url);
      let answer;
      try {
        answer = await fetchJsonPage(http, url, { accept: 'application/json', api, headers: signIn, ...(signal ? { signal } : {}) });
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        // past the last page WordPress answers 400 rest_post_invalid_page_number (the client reads no
        // body of a refusal, so the 400 is the sign); a site that sent X-WP-TotalPages never gets here
        // but through a shrinking listing, which the count check below catches
        if (page > 1 && error.status === 400) break;
        if (page === 1 && error.status === 404) {
          throw new SourceError(`${error.message}: the site has no REST route /wp/v2/${postType}; check import.post_type (posts, pages, or the post type's rest_base) and import.base_url`);
        }
        throw error;
      }
      const pages = countHeader(answer.headers['x-wp-totalpages']);
      if (page === 1) {
        promised = { posts: countHeader(answer.headers['x-wp-total']), pages };
        if (pages !== null && pages > maxPages) {
          throw new SourceError(`GET ${redactUrl(url)} says the listing has ${pages} pages (X-WP-TotalPages), more than the ${maxPages} any site we read has; nothing was read`);
        }
      } else if (pages !== null && promised.pages !== null && pages > promised.pages) {
        throw new SourceError(
          `GET ${redactUrl(url)} says the listing has ${pages} pages (X-WP-TotalPages), more than the ${promised.pages} its first page promised: ` +
          'posts were added while the site was read, or it pages without end; nothing was imported, run it again',
        );
      }
      if (!Array.isArray(answer.body)) {
        throw new SourceError(`GET ${redactUrl(url)} answered JSON that is not a list of posts (${describeJson(answer.body)}); is import.post_type a post type's REST route?`);
      }
      for (const [index, post] of answer.body.entries()) {
        if (!isPost(post)) throw new SourceError(`GET ${redactUrl(url)}: item ${index + 1} of page ${page} is not a post (${describeJson(post)}, no numeric id)`);
        seen.add(post.id, page, url);
      }
      log.debug({ page, pages, posts: answer.body.length }, 'WordPress page read');
      for (const post of answer.body as Post[]) {
        line += 1;
        yield { line, fields: post };
      }
      // without X-WP-TotalPages (a proxy dropped it), an empty or short page is the last
      const last = pages !== null ? page >= pages : answer.body.length < perPage;
      if (last || answer.body.length === 0) break;
    }
    // offset paging loses a post when one is deleted mid-read: the count the site promised says so
    if (promised.posts !== null && line !== promised.posts) {
      throw new SourceError(
        `${redactUrl(listUrl)} promised ${promised.posts} posts (X-WP-Total) and gave ${line}: ` +
        'posts changed while the site was read, so some may have been missed; nothing was imported, run it again',
      );
    }
  }

  return { fields: null, records: posts(), mapping: wordpressFields, guessFrom: (path) => /^(acf|meta)\./.test(path) };
};
