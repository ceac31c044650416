import { useState } from 'preact/hooks';
import { type ListPage, segment } from '../api';
import { useConsole } from '../context';
import { ConfirmButton, ErrorNotice, formatDate, Link, Status, useLoad } from '../ui';
import { ApiKeys } from './api-keys';
import { UserEdit } from './user-edit';
import type { UserRow } from './users';

interface SessionRow {
  id: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  login_method: string;
  current: boolean;
}

/** One user: their account (deactivate, reactivate) and live sessions (revoke one or all). */
export function UserDetail({ username }: { username: string }) {
  const { api, me, can } = useConsole();
  const path = `/users/${segment(username)}`;
  const user = useLoad(() => api.get<UserRow>(path), path);
  const sessions = useLoad(() => api.get<ListPage<SessionRow>>(`${path}/sessions`, { limit: '100' }), path);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const self = me.username === username;
  const mayDeactivate = can('users:deactivate') && !self;
  const mayRevoke = self || can('users:modify');

  async function act(run: () => Promise<unknown>, said: string) {
    setError(null);
    setDone('');
    try {
      await run();
      setDone(said);
      user.reload();
      sessions.reload();
    } catch (caught) {
      setError(caught);
    }
  }

  const u = user.data;
  return (
    <section aria-labelledby="user-title">
      <p>
        <Link to="/users">Back to users</Link>
      </p>
      <h1 id="user-title">User {username}</h1>
      <ErrorNotice error={user.error ?? error} />
      <Status>{done}</Status>
      {u && (
        <>
          <dl class="facts">
            <dt>Email</dt>
            <dd>{u.email ?? '—'}</dd>
            <dt>Name</dt>
            <dd>{u.full_name ?? '—'}</dd>
            <dt>Roles</dt>
            <dd>{u.roles.join(', ') || '—'}</dd>
            <dt>Status</dt>
            <dd>{u.is_active ? 'Active' : 'Deactivated'}</dd>
            <dt>Created</dt>
            <dd>{formatDate(u.created_at)}</dd>
            <dt>Last sign-in</dt>
            <dd>{formatDate(u.last_login_at)}</dd>
          </dl>
          {mayDeactivate &&
            (u.is_active ? (
              <ConfirmButton
                text="Deactivate user"
                label={`Confirm deactivation of ${username}`}
                action="Confirm deactivation"
                onConfirm={() => void act(() => api.post(`${path}/deactivate`), `${username} is deactivated.`)}
              >
                Deactivating {username} refuses every credential they hold: their sessions end at their next request.
              </ConfirmButton>
            ) : (
              <button type="button" onClick={() => void act(() => api.post(`${path}/reactivate`), `${username} is active again.`)}>
                Reactivate user
              </button>
            ))}
          {can('users:modify') && <UserEdit user={u} onChanged={user.reload} />}
          <ApiKeys base={`${path}/api-keys`} owner={username} mayList={self || can('api_keys:list')} mayMint={can('api_keys:create')} mayRevoke={self || can('api_keys:revoke')} />
        </>
      )}
      <h2 id="sessions-title">Sessions</h2>
      <ErrorNotice error={sessions.error} />
      {sessions.data &&
        (sessions.data.items.length === 0 ? (
          <p class="muted">No live sessions.</p>
        ) : (
          <>
            <table aria-labelledby="sessions-title">
              <thead>
                <tr>
                  <th scope="col">Opened</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Method</th>
                  <th scope="col">Address</th>
                  <th scope="col">Browser</th>
                  {mayRevoke && (
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {sessions.data.items.map((session) => (
                  <tr key={session.id}>
                    <td>
                      {formatDate(session.created_at)}
                      {session.current ? ' (this session)' : ''}
                    </td>
                    <td>{formatDate(session.last_used_at)}</td>
                    <td>{session.login_method}</td>
                    <td>{session.ip ?? '—'}</td>
                    <td class="agent">{session.user_agent ?? '—'}</td>
                    {mayRevoke && (
                      <td>
                        <button
                          type="button"
                          aria-label={`Revoke the session opened ${formatDate(session.created_at)}`}
                          onClick={() => void act(() => api.delete(`${path}/sessions/${segment(session.id)}`), 'The session is revoked.')}
                        >
                          Revoke
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
            {mayRevoke && (
              <button type="button" class="danger" onClick={() => void act(() => api.post(`${path}/sessions/revoke`), `Every session of ${username} is revoked.`)}>
                Revoke all sessions
              </button>
            )}
          </>
        ))}
    </section>
  );
}
