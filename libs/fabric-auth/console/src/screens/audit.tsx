import { useState } from 'preact/hooks';
import type { ListPage } from '../api';
import { useConsole } from '../context';
import { ErrorNotice, formatDate, Pager, useCursorPages, useLoad } from '../ui';

interface AuditRow {
  id: string;
  occurred_at: string;
  action: string;
  outcome: string;
  actor_name: string | null;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
}

interface Filters {
  action?: string;
  actor?: string;
  outcome?: string;
}

/** The audit log, newest first, server-paged with cursors, filtered by event, actor and outcome (GET /audit). */
export function Audit() {
  const { api } = useConsole();
  const [filters, setFilters] = useState<Filters>({});
  const key = JSON.stringify(filters);
  const pages = useCursorPages(key);
  const list = useLoad(() => api.get<ListPage<AuditRow>>('/audit', { limit: '50', ...filters, cursor: pages.cursor }), `${key}\n${pages.cursor ?? ''}`);
  const page = list.data;

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form
        class="inline"
        aria-label="Filter the audit log"
        onSubmit={(event) => {
          event.preventDefault();
          const value = (name: string) => (event.currentTarget.elements.namedItem(name) as HTMLInputElement).value.trim() || undefined;
          setFilters({ action: value('action'), actor: value('actor'), outcome: value('outcome') });
        }}
      >
        <label>
          Event
          <input name="action" placeholder="user.deactivated" autocomplete="off" />
        </label>
        <label>
          Actor
          <input name="actor" autocomplete="off" />
        </label>
        <label>
          Outcome
          <select name="outcome">
            <option value="">Any</option>
            <option value="success">Success</option>
            <option value="failure">Failure</option>
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorNotice error={list.error} />
      {page && (
        <>
          <table aria-busy={list.loading}>
            <caption class="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Outcome</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">Address</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((event) => (
                <tr key={event.id}>
                  <td>{formatDate(event.occurred_at)}</td>
                  <td>{event.action}</td>
                  <td>{event.outcome}</td>
                  <td>{event.actor_name ?? '—'}</td>
                  <td>{event.target_type ? `${event.target_type} ${event.target_id ?? ''}` : '—'}</td>
                  <td>{event.ip ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.items.length === 0 && <p class="muted">No events match.</p>}
          <Pager
            what="audit events"
            page={pages.page}
            hasNext={page.next_cursor !== null}
            onNext={() => page.next_cursor && pages.next(page.next_cursor)}
            onPrevious={pages.previous}
          />
        </>
      )}
    </section>
  );
}
