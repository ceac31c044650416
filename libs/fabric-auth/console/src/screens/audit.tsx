import { useState } from 'preact/hooks';
import { PagedList } from '../list';
import { formatDate } from '../ui';

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
  const [filters, setFilters] = useState<Filters>({});

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
      <PagedList<AuditRow>
        path="/audit"
        query={{ ...filters }}
        pageSize={50}
        caption="Audit events, newest first"
        what={['audit events', 'audit event']}
        empty="No events match."
        rowKey={(event) => event.id}
        columns={[
          { header: 'When', cell: (event) => formatDate(event.occurred_at) },
          { header: 'Event', cell: (event) => event.action },
          { header: 'Outcome', cell: (event) => event.outcome },
          { header: 'Actor', cell: (event) => event.actor_name ?? '—' },
          { header: 'Target', cell: (event) => (event.target_type ? `${event.target_type} ${event.target_id ?? ''}` : '—') },
          { header: 'Address', cell: (event) => event.ip ?? '—' },
        ]}
      />
    </section>
  );
}
