import { fieldOf, namesIn, useAction } from '../action';
import { segment } from '../api';
import { useConsole } from '../context';
import { PagedList } from '../list';
import { ErrorNotice, Field, formatDate, Link } from '../ui';

interface OrgRow {
  id: string;
  slug: string;
  name: string;
  created_at: string;
  roles?: string[];
}

/**
 * Organizations (GET /orgs: the person's own, or every one with `orgs:list`), cursor-paged, and
 * creating one (`orgs:create`, or anyone where the server allows self-service): its creator
 * becomes its owner unless they name another.
 */
export function Organizations({ selfService }: { selfService: boolean }) {
  const { api, router, can } = useConsole();
  const action = useAction();
  const mayCreate = selfService || can('orgs:create');

  return (
    <section aria-labelledby="orgs-title">
      <h1 id="orgs-title">Organizations</h1>
      <PagedList<OrgRow>
        path="/orgs"
        caption="Organizations"
        what={['organizations', 'organization']}
        empty="No organizations."
        rowKey={(org) => org.id}
        columns={[
          { header: 'Name', cell: (org) => <Link to={`/orgs/${segment(org.slug)}`}>{org.name}</Link> },
          { header: 'Slug', cell: (org) => org.slug },
          { header: 'Your roles there', cell: (org) => org.roles?.join(', ') || '—' },
          { header: 'Created', cell: (org) => formatDate(org.created_at) },
        ]}
      />
      {mayCreate && (
        <>
          <h2 id="new-org">Create an organization</h2>
          <ErrorNotice error={action.error} />
          <form
            aria-labelledby="new-org"
            onSubmit={(event) => {
              event.preventDefault();
              const form = event.currentTarget;
              const domains = namesIn(fieldOf(form, 'domains'));
              const owner = can('orgs:create') ? fieldOf(form, 'owner') : '';
              const body = { slug: fieldOf(form, 'slug'), name: fieldOf(form, 'name'), domains: domains.length ? domains : undefined, owner: owner || undefined };
              void action.run(() => api.post<OrgRow>('/orgs', body), '').then((created) => created && router.navigate(`/orgs/${segment(created.slug)}`));
            }}
          >
            <Field label="Name" name="name" required maxLength={200} />
            <Field label="Slug (2–63 lowercase letters, digits and hyphens)" name="slug" required minLength={2} maxLength={63} />
            <Field label="Email domains it claims (optional, separated by commas)" name="domains" />
            {can('orgs:create') && <Field label="Owner’s username (optional; you by default)" name="owner" maxLength={150} />}
            <button type="submit" disabled={action.busy}>
              Create organization
            </button>
          </form>
        </>
      )}
    </section>
  );
}
