import { useState } from 'preact/hooks';
import { fieldOf, namesIn, useAction } from '../action';
import { segment } from '../api';
import { useConsole } from '../context';
import { OneTimeSecret } from '../secret';
import { ConfirmButton, ErrorNotice, Field, formatDate, Link, Status, useLoad } from '../ui';

export interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  org: string | null;
  description: string | null;
  enabled: boolean;
  disabled_reason: string | null;
  failure_streak: number;
  created_at: string;
  updated_at: string;
}

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  created_at: string;
}

const stateOf = (hook: WebhookRow) => (hook.enabled ? 'Enabled' : hook.disabled_reason ? `Disabled: ${hook.disabled_reason}` : 'Paused');

/** The webhook endpoints (GET /webhooks), and registering one (POST /webhooks: its signing secret is answered once). */
export function Webhooks() {
  const { api, can } = useConsole();
  const list = useLoad(() => api.get<{ items: WebhookRow[] }>('/webhooks'), 'webhooks');
  const action = useAction(list.reload);
  const [secret, setSecret] = useState<{ url: string; value: string } | null>(null);
  const mayManage = can('webhooks:manage');

  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <ErrorNotice error={list.error ?? action.error} />
      <Status>{action.done}</Status>
      {secret && <OneTimeSecret label={`Signing secret of ${secret.url}`} value={secret.value} onDone={() => setSecret(null)} />}
      {list.data &&
        (list.data.items.length === 0 ? (
          <p class="muted">No webhook endpoints yet.</p>
        ) : (
          <table aria-busy={list.loading}>
            <caption class="visually-hidden">Webhook endpoints</caption>
            <thead>
              <tr>
                <th scope="col">Address</th>
                <th scope="col">Events</th>
                <th scope="col">Description</th>
                <th scope="col">Status</th>
                <th scope="col">Failures in a row</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((hook) => (
                <tr key={hook.id}>
                  <td class="agent">
                    <Link to={`/webhooks/${segment(hook.id)}`}>{hook.url}</Link>
                  </td>
                  <td>{hook.events.join(', ')}</td>
                  <td>{hook.description ?? '—'}</td>
                  <td>{stateOf(hook)}</td>
                  <td>{hook.failure_streak}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {mayManage && (
        <>
          <h2 id="new-webhook">Register an endpoint</h2>
          <form
            aria-labelledby="new-webhook"
            onSubmit={(event) => {
              event.preventDefault();
              const form = event.currentTarget;
              const org = fieldOf(form, 'org');
              const body = { url: fieldOf(form, 'url'), events: namesIn(fieldOf(form, 'events')), description: fieldOf(form, 'description') || undefined, org: org || undefined };
              void action
                .run(
                  () => api.post<WebhookRow & { secret: string }>('/webhooks', body),
                  (created) => `The endpoint ${created.url} is registered.`,
                )
                .then((created) => {
                  if (!created) return;
                  setSecret({ url: created.url, value: created.secret });
                  form.reset();
                });
            }}
          >
            <Field label="Address (URL)" name="url" type="url" required maxLength={2048} />
            <Field label="Events (names separated by commas, or * for all)" name="events" required defaultValue="*" />
            <Field label="Description" name="description" maxLength={200} />
            <Field label="Organization id (its events only; optional)" name="org" />
            <button type="submit" disabled={action.busy}>
              Register endpoint
            </button>
          </form>
        </>
      )}
    </section>
  );
}

/** One endpoint: change or delete it (webhooks:manage), its last deliveries with their attempts, and redelivering one. */
export function WebhookDetail({ id }: { id: string }) {
  const { api, router, can } = useConsole();
  const path = `/webhooks/${segment(id)}`;
  const hook = useLoad(() => api.get<WebhookRow>(path), path);
  const deliveries = useLoad(() => api.get<{ items: DeliveryRow[] }>(`${path}/deliveries`), path);
  const action = useAction(() => {
    hook.reload();
    deliveries.reload();
  });
  const mayManage = can('webhooks:manage');
  const h = hook.data;

  return (
    <section aria-labelledby="webhook-title">
      <p>
        <Link to="/webhooks">Back to webhooks</Link>
      </p>
      <h1 id="webhook-title">Webhook {h ? h.url : ''}</h1>
      <ErrorNotice error={hook.error ?? action.error} />
      <Status>{action.done}</Status>
      {h && (
        <>
          <dl class="facts">
            <dt>Events</dt>
            <dd>{h.events.join(', ')}</dd>
            <dt>Description</dt>
            <dd>{h.description ?? '—'}</dd>
            <dt>Organization</dt>
            <dd>{h.org ?? 'Every organization'}</dd>
            <dt>Status</dt>
            <dd>{stateOf(h)}</dd>
            <dt>Failures in a row</dt>
            <dd>{h.failure_streak}</dd>
            <dt>Created</dt>
            <dd>{formatDate(h.created_at)}</dd>
          </dl>
          {mayManage && (
            <>
              <h2 id="edit-webhook">Change the endpoint</h2>
              <form
                key={h.updated_at}
                aria-labelledby="edit-webhook"
                onSubmit={(event) => {
                  event.preventDefault();
                  const form = event.currentTarget;
                  const body = {
                    url: fieldOf(form, 'url'),
                    events: namesIn(fieldOf(form, 'events')),
                    description: fieldOf(form, 'description') || undefined,
                    enabled: (form.elements.namedItem('enabled') as HTMLInputElement).checked,
                  };
                  void action.run(() => api.call('PATCH', path, body), 'The endpoint is saved.');
                }}
              >
                <Field label="Address (URL)" name="url" type="url" required maxLength={2048} defaultValue={h.url} />
                <Field label="Events (names separated by commas, or * for all)" name="events" required defaultValue={h.events.join(', ')} />
                <Field label="Description" name="description" maxLength={200} defaultValue={h.description ?? ''} />
                <label class="check">
                  <input name="enabled" type="checkbox" defaultChecked={h.enabled} />
                  Deliver events (enabled)
                </label>
                <button type="submit" disabled={action.busy}>
                  Save changes
                </button>
              </form>
              <ConfirmButton
                text="Delete endpoint"
                label="Confirm deletion of the endpoint"
                action="Confirm deletion"
                onConfirm={() => void action.run(() => api.delete(path), 'The endpoint is deleted.').then(() => router.navigate('/webhooks'))}
              >
                Deleting the endpoint stops its deliveries and deletes their history.
              </ConfirmButton>
            </>
          )}
        </>
      )}
      <h2 id="deliveries-title">Deliveries</h2>
      <button type="button" onClick={deliveries.reload}>
        Refresh deliveries
      </button>
      <ErrorNotice error={deliveries.error} />
      {deliveries.data &&
        (deliveries.data.items.length === 0 ? (
          <p class="muted">No deliveries yet.</p>
        ) : (
          <table aria-labelledby="deliveries-title" aria-busy={deliveries.loading}>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col">Last attempt</th>
                <th scope="col">Next attempt</th>
                {mayManage && (
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {deliveries.data.items.map((d) => (
                <tr key={d.id}>
                  <td>
                    {d.event_type}
                    <br />
                    <span class="muted">{d.event_id}</span>
                  </td>
                  <td>{d.status}</td>
                  <td>{d.attempts}</td>
                  <td class="agent">{d.last_status_code !== null ? `HTTP ${d.last_status_code}` : (d.last_error ?? '—')}</td>
                  <td>{formatDate(d.last_attempt_at)}</td>
                  <td>{formatDate(d.next_attempt_at)}</td>
                  {mayManage && (
                    <td>
                      <button
                        type="button"
                        aria-label={`Redeliver ${d.event_type} ${d.event_id}`}
                        onClick={() => void action.run(() => api.post(`${path}/deliveries/${segment(d.id)}/redeliver`), `The ${d.event_type} event is queued for delivery again.`)}
                      >
                        Redeliver
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </section>
  );
}
