import type { ComponentChildren } from 'preact';
import type { ListPage } from './api';
import { useConsole } from './context';
import { ErrorNotice, Pager, useCursorPages, useLoad } from './ui';

export interface Column<T> {
  header: string;
  /** A column of buttons: its header is read by screen readers only. */
  hiddenHeader?: boolean;
  cell(row: T): ComponentChildren;
}

export interface PagedListProps<T> {
  /** The API's list path (`/users`, `/audit`, …): answered as a ListPage, paged with `cursor`. */
  path: string;
  /** Filters and search sent with each page; a change starts again at the first page. */
  query?: Record<string, string | undefined>;
  columns: ReadonlyArray<Column<T>>;
  rowKey(row: T): string;
  /** The table's caption, read by screen readers. */
  caption: string;
  /** What is listed, plural then singular (`users`, `user`): the count and the pager's name. */
  what: [plural: string, singular: string];
  /** Said when nothing matches. */
  empty: string;
  pageSize?: number;
  /** Raised by the screen after a change it made, to load the page shown again. */
  version?: number;
}

/**
 * Every list of the console: one server page at a time, Previous and Next by cursors (never
 * offsets, so it stays fast at a million rows), the count the API gives, and a sentence when
 * nothing matches.
 */
export function PagedList<T>({ path, query = {}, columns, rowKey, caption, what, empty, pageSize = 25, version = 0 }: PagedListProps<T>) {
  const { api } = useConsole();
  const filterKey = `${path}\n${JSON.stringify(query)}`;
  const pages = useCursorPages(filterKey);
  const list = useLoad(() => api.get<ListPage<T>>(path, { ...query, limit: String(pageSize), cursor: pages.cursor }), `${filterKey}\n${pages.cursor ?? ''}\n${version}`);
  const page = list.data;
  if (list.error) return <ErrorNotice error={list.error} />;
  if (!page) return null;
  const [plural, singular] = what;
  return (
    <>
      <p class="muted" aria-live="polite">
        {page.total === 0 ? empty : `${page.total_is_estimate ? 'About ' : ''}${page.total.toLocaleString()} ${page.total === 1 ? singular : plural}`}
      </p>
      <table aria-busy={list.loading}>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col">
                {c.hiddenHeader ? <span class="visually-hidden">{c.header}</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {page.items.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((c) => (
                <td key={c.header}>{c.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <Pager what={plural} page={pages.page} hasNext={page.next_cursor !== null} onNext={() => page.next_cursor && pages.next(page.next_cursor)} onPrevious={pages.previous} />
    </>
  );
}
