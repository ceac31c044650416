import { segment } from '../api';
import { fieldOf as field, namesIn as words, useAction } from '../action';
import { useConsole } from '../context';
import { PagedList } from '../list';
import { ConfirmButton, ErrorNotice, Field, formatDate, Link, Status, useLoad } from '../ui';
import { ApiKeys } from './api-keys';

interface ServiceAccountRow {
  id: string;
  name: string;
  description: string | null;
  is_active: boolean;
  roles: string[];
  created_at: string;
}

/** Service accounts, server-paged (GET /service-accounts), and creating one (service_accounts:create). */
export function ServiceAccounts() {
  const { api, can, router } = useConsole();
  const action = useAction();
  return (
    <section aria-labelledby="sa-title">
      <h1 id="sa-title">Service accounts</h1>
      {can('service_accounts:create') && (
        <form
          class="inline"
          aria-label="New service account"
          onSubmit={(event) => {
            event.preventDefault();
            const form = event.currentTarget;
            const roles = words(field(form, 'roles'));
            const body = { name: field(form, 'name'), description: field(form, 'description') || undefined, roles: roles.length > 0 ? roles : undefined };
            void action.run(
              () => api.post<ServiceAccountRow>('/service-accounts', body).then((made) => router.navigate(`/service-accounts/${segment(made.id)}`)),
              `The service account ${body.name} is created.`,
            );
          }}
        >
          <Field label="Name" name="name" required />
          <Field label="Description (optional)" name="description" />
          <Field label="Roles (optional, separated by spaces)" name="roles" />
          <button type="submit">Create service account</button>
        </form>
      )}
      <ErrorNotice error={action.error} />
      <PagedList<ServiceAccountRow>
        path="/service-accounts"
        caption="Service accounts"
        what={['service accounts', 'service account']}
        empty="No service accounts."
        rowKey={(sa) => sa.id}
        columns={[
          { header: 'Name', cell: (sa) => <Link to={`/service-accounts/${segment(sa.id)}`}>{sa.name}</Link> },
          { header: 'Description', cell: (sa) => sa.description ?? '—' },
          { header: 'Roles', cell: (sa) => sa.roles.join(', ') || '—' },
          { header: 'Status', cell: (sa) => (sa.is_active ? 'Active' : 'Deactivated') },
        ]}
      />
    </section>
  );
}

/**
 * One service account: its keys (minted once, revoked) and deactivation, which the API offers in
 * place of deletion (the account's audit trail keeps naming it); its keys are refused from then on.
 */
export function ServiceAccountDetail({ id }: { id: string }) {
  const { api, can } = useConsole();
  const path = `/service-accounts/${segment(id)}`;
  const account = useLoad(() => api.get<ServiceAccountRow>(path), path);
  const action = useAction(account.reload);
  const sa = account.data;
  return (
    <section aria-labelledby="sa-title">
      <p>
        <Link to="/service-accounts">Back to service accounts</Link>
      </p>
      <h1 id="sa-title">Service account {sa?.name ?? ''}</h1>
      <ErrorNotice error={account.error ?? action.error} />
      <Status>{action.done}</Status>
      {sa && (
        <>
          <dl class="facts">
            <dt>Description</dt>
            <dd>{sa.description ?? '—'}</dd>
            <dt>Roles</dt>
            <dd>{sa.roles.join(', ') || '—'}</dd>
            <dt>Status</dt>
            <dd>{sa.is_active ? 'Active' : 'Deactivated'}</dd>
            <dt>Created</dt>
            <dd>{formatDate(sa.created_at)}</dd>
          </dl>
          {can('service_accounts:modify') &&
            (!sa.is_active ? (
              <button type="button" onClick={() => void action.run(() => api.post(`${path}/reactivate`), `${sa.name} is active again.`)}>
                Reactivate service account
              </button>
            ) : (
              <ConfirmButton
                text="Deactivate service account"
                label={`Confirm deactivation of ${sa.name}`}
                action="Confirm deactivation"
                onConfirm={() => void action.run(() => api.post(`${path}/deactivate`), `${sa.name} is deactivated.`)}
              >
                Every key of {sa.name} is refused from its next use.
              </ConfirmButton>
            ))}
          <ApiKeys
            base={`${path}/api-keys`}
            owner={sa.name}
            mayList={can('service_accounts:read')}
            mayMint={can('service_accounts:create')}
            mayRevoke={can('service_accounts:modify')}
          />
        </>
      )}
    </section>
  );
}
