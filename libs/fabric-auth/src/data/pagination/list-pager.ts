import { Inject, Injectable } from '@nestjs/common';
import type { SelectQueryBuilder } from 'typeorm';
import { type ListEnvelope, pageOf } from './list-query.js';
import { FABRIC_RESOLVED_OPTIONS } from '../../core/fabric-auth.internal-constants.js';
import type { ResolvedFabricAuthOptions } from '../../options/fabric-auth.options.js';
import { readCandidates, readSearch } from './bounded-search.js';
import { CappedCount, EXACT_COUNT_CAP, type ListCount } from './capped-count.js';
import { CursorCodec, type CursorPayload, filterDigest } from './cursor.js';
import { dialectOf, type ListDialect } from './dialect.js';
import { readAfter, readAtOffset, readBranches, readSections } from './keyset.js';
import type { ListRequest, ListSection, PageRead } from './list-request.js';
import type { Sql } from './statement-cache.js';
import { fabricError } from '../../core/fabric-error.js';

/**
 * One page of any list: decodes the cursor, picks the read strategy the request's shape
 * calls for (see readPage), counts, and hands out the next cursor. A cursor is opaque and
 * MACed (cursor.ts); `offset` pages still work.
 */
@Injectable()
export class ListPager {
  private readonly cursors: CursorCodec;
  private readonly counter = new CappedCount();

  constructor(@Inject(FABRIC_RESOLVED_OPTIONS) options: ResolvedFabricAuthOptions) {
    this.cursors = new CursorCodec(options.secretKey);
  }

  /**
   * One page of `base` (filters applied, no order or limit). `map` turns the rows into
   * answers (it may read more, e.g. role names, for the rows of this page only); `attached`:
   * each row's names (ListRequest.attach) when the page's own statement read them.
   */
  async page<E extends { id: string }, T>(
    base: SelectQueryBuilder<E>,
    request: ListRequest,
    map: (rows: E[], attached?: string[][]) => T[] | Promise<T[]>,
  ): Promise<ListEnvelope<T>> {
    const { limit, offset, cursor: rawCursor } = pageOf(request.query);
    if (rawCursor !== undefined && request.query.offset !== undefined) throw fabricError('invalid_cursor', 'Use either cursor or offset, not both');
    const filters = filterDigest(request.filters);
    const cursor = rawCursor === undefined ? undefined : this.cursors.decode(rawCursor, request, filters);
    const start = cursor ? cursor.p : offset;
    const dialect = dialectOf(base);
    // A list's name and filters decide its query (what a cursor is bound to), so they name its count.
    const identity = `${request.list}\n${filters}`;

    // A search's count decides how it is read (see search). A plain keyset page, one of
    // branches, or of sections, carries its count in its own statement (CappedCount.inline,
    // inlineUnion, inlineParts). A cursor page of any other list always reports a count, so
    // that count starts beside the read (start is a lower bound for an estimate; the page's
    // rows raise it below).
    const searching = request.search ? await this.search(base, dialect, request, request.search, identity, cursor, offset, limit + 1) : undefined;
    const searched = searching?.count;
    const plain = !request.search && !request.sections && !request.branches && !request.sort.nullable;
    const sections = !request.search ? request.sections : undefined;
    const branches = !request.search && !sections ? request.branches : undefined;
    const inline = plain
      ? this.counter.inline(base, dialect, identity, request.countFrom, request.pagedByParameters)
      : sections
        ? this.counter.inlineParts(base, dialect, identity, sections)
        : branches
          ? this.counter.inlineUnion(base, dialect, identity, branches)
          : undefined;
    const early = cursor && !searched && !inline ? this.counter.count(base, dialect, start, request.sections, identity) : undefined;
    // Awaited below once the read is done; should the read fail first, not an unhandled rejection.
    early?.catch(() => undefined);

    const read = inline && 'query' in inline ? inline.query : base;
    const counts = inline && 'count' in inline ? inline.count : inline && 'counts' in inline ? inline.counts : undefined;
    const { rows, keys, sections: sectionNames, resume, counted, attached } = searching ? searching.read : await this.readPage(read, request, cursor, offset, limit + 1, counts);
    const more = rows.length > limit || resume !== undefined;
    const pageRows = rows.slice(0, limit);
    const last = pageRows.length - 1;
    const nextCursor = more
      ? this.cursors.encode({
          l: request.list,
          s: request.sortName,
          f: filters,
          k: resume ? resume.k : keys[last]!,
          i: resume ? resume.i : pageRows[last].id,
          p: start + pageRows.length,
          ...(sectionNames ? { c: sectionNames[last] } : {}),
        })
      : null;

    const total = (): ListCount | Promise<ListCount> => {
      const seen = start + pageRows.length;
      if (searched) return { total: Math.max(searched.total, seen), estimate: searched.estimate };
      // A whole list on one page (or the first page of an empty one) is its own count.
      if (!more && !cursor && (pageRows.length > 0 || offset === 0)) return { total: offset + pageRows.length, estimate: false };
      if (inline && 'known' in inline) return { total: Math.max(inline.known, seen), estimate: true };
      // An empty page carries no count: counted on its own below.
      if (counted !== undefined) return this.counter.settle(branches || sections ? base : (request.countFrom ?? base), dialect, counted, seen, identity, branches ?? sections);
      if (early) return early.then((c) => (c.estimate ? { total: Math.max(c.total, seen), estimate: true } : c));
      if (branches) return this.counter.countUnion(base, dialect, seen, branches, identity);
      return this.counter.count(base, dialect, seen, request.sections, identity);
    };
    // The count and the page's own reads (e.g. role names) go to the database side by side.
    const [items, count] = await Promise.all([map(pageRows, attached?.slice(0, limit)), total()]);
    return { items, total: count.total, total_is_estimate: count.estimate, limit, offset: start, next_cursor: nextCursor };
  }

  /**
   * A search's page and its count, which decides how it is read (see readSearch). Where the
   * database estimates, a search with no estimate kept (CappedCount.keepsParts) is read first
   * as one of few matches, that statement carrying the count of the candidates it read (each
   * part's up to the cap, as countParts counts them): a narrow search is then one statement.
   * Past the cap, that read is set aside and counted as countParts counts, whose outcome is
   * kept for the next pages. Without estimates the count is exact, uncapped: counted first.
   */
  private async search<E extends { id: string }>(
    base: SelectQueryBuilder<E>,
    dialect: ListDialect,
    request: ListRequest,
    parts: readonly ListSection[],
    identity: string,
    cursor: CursorPayload | undefined,
    offset: number,
    take: number,
  ): Promise<{ read: PageRead<E>; count: ListCount }> {
    const limit = EXACT_COUNT_CAP + 1;
    let candidates: PageRead<E> | undefined;
    if (dialect.estimateRows && !this.counter.keepsParts(dialect, identity)) {
      candidates = await readCandidates(base, dialect, request.sort, parts, limit, cursor, offset, take, { countUpTo: EXACT_COUNT_CAP, attach: request.attach });
      if (candidates.counted !== undefined && candidates.counted <= EXACT_COUNT_CAP) return { read: candidates, count: { total: candidates.counted, estimate: false } };
    }
    const count = await this.counter.countParts(base, dialect, 0, parts, identity);
    const many = count.estimate || count.total > EXACT_COUNT_CAP;
    // A candidates read that found no row carries no count: with few matches, it stands.
    if (candidates && candidates.counted === undefined && !many) return { read: candidates, count };
    return { read: await readSearch(base, dialect, request.sort, parts, { many, limit }, cursor, offset, take, request.attach), count };
  }

  /** The read strategy for the request's shape (a search's is `search`), from the most specific to a plain keyset walk; `count`: see readBranches, readSections. */
  private readPage<E extends { id: string }>(
    base: SelectQueryBuilder<E>,
    request: ListRequest,
    cursor: CursorPayload | undefined,
    offset: number,
    take: number,
    count: Sql | readonly string[] | undefined,
  ): Promise<PageRead<E>> {
    const dialect = dialectOf(base);
    if (request.sections)
      return readSections(base, dialect, request.sections, cursor, offset, take, { counts: count !== undefined && !('text' in count) ? count : undefined, attach: request.attach });
    if (request.branches) return readBranches(base, request.sort, request.branches, cursor, offset, take, count !== undefined && 'text' in count ? count : undefined);
    if (cursor) return readAfter(base, request.sort, cursor, take, request.attach, request.pagedByParameters);
    return readAtOffset(base, request.sort, offset, take, request.attach, request.pagedByParameters);
  }
}
