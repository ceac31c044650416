import { useState } from 'preact/hooks';
import { segment } from '../api';
import { fieldOf as field, namesIn as words, useAction } from '../action';
import { useConsole } from '../context';
import { PagedList } from '../list';
import { ErrorNotice, formatDate, Link, Status, useLoad } from '../ui';
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
          <label>
            Name
            <input name="name" required autocomplete="off" />
          </label>
          <label>
            Description (optional)
            <input name="description" autocomplete="off" />
          </label>
          <label>
            Roles (optional, separated by spaces)
            <input name="roles" autocomplete="off" />
          </label>
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
  const [confirming, setConfirming] = useState(false);
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
            ) : confirming ? (
              <div class="confirm" role="group" aria-label={`Confirm deactivation of ${sa.name}`}>
                <p>Every key of {sa.name} is refused from its next use.</p>
                <button
                  type="button"
                  class="danger"
                  onClick={() => {
                    setConfirming(false);
                    void action.run(() => api.post(`${path}/deactivate`), `${sa.name} is deactivated.`);
                  }}
                >
                  Confirm deactivation
                </button>
                <button type="button" onClick={() => setConfirming(false)}>
                  Cancel
                </button>
              </div>
            ) : (
              <button type="button" class="danger" onClick={() => setConfirming(true)}>
                Deactivate service account
              </button>
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
