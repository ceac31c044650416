import { useState } from 'preact/hooks';
import type { ListPage } from '../api';
import { useConsole } from '../context';
import { ErrorNotice, Link, Pager, useCursorPages, useLoad } from '../ui';

export interface UserRow {
  id: string;
  username: string;
  email: string | null;
  full_name: string | null;
  is_active: boolean;
  roles: string[];
  created_at: string;
  last_login_at: string | null;
}

const PAGE_SIZE = 25;

/** Users, server-paged with cursors, searched by username or email prefix (GET /users?q=). */
export function Users() {
  const { api } = useConsole();
  const [query, setQuery] = useState('');
  const pages = useCursorPages(query);
  const list = useLoad(() => api.get<ListPage<UserRow>>('/users', { limit: String(PAGE_SIZE), q: query || undefined, cursor: pages.cursor }), `${query}\n${pages.cursor ?? ''}`);
  const page = list.data;

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <form
        role="search"
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          setQuery((event.currentTarget.elements.namedItem('q') as HTMLInputElement).value.trim());
        }}
      >
        <label>
          Username or email starts with
          <input name="q" type="search" maxLength={150} autocomplete="off" />
        </label>
        <button type="submit">Search</button>
      </form>
      <ErrorNotice error={list.error} />
      {page && (
        <>
          <p class="muted" aria-live="polite">
            {page.total === 0 ? 'No users match.' : `${page.total_is_estimate ? 'About ' : ''}${page.total.toLocaleString()} ${page.total === 1 ? 'user' : 'users'}`}
          </p>
          <table aria-busy={list.loading}>
            <caption class="visually-hidden">Users{query ? ` starting with ${query}` : ''}</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Email</th>
                <th scope="col">Roles</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((user) => (
                <tr key={user.id}>
                  <td>
                    <Link to={`/users/${encodeURIComponent(user.username)}`}>{user.username}</Link>
                  </td>
                  <td>{user.email ?? '—'}</td>
                  <td>{user.roles.join(', ') || '—'}</td>
                  <td>{user.is_active ? 'Active' : 'Deactivated'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager what="users" page={pages.page} hasNext={page.next_cursor !== null} onNext={() => page.next_cursor && pages.next(page.next_cursor)} onPrevious={pages.previous} />
        </>
      )}
    </section>
  );
}
