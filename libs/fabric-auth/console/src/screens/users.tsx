import { useState } from 'preact/hooks';
import { PagedList } from '../list';
import { Link } from '../ui';

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

/** Users, server-paged with cursors, searched by username or email prefix (GET /users?q=). */
export function Users() {
  const [query, setQuery] = useState('');

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
      <PagedList<UserRow>
        path="/users"
        query={{ q: query || undefined }}
        caption={`Users${query ? ` starting with ${query}` : ''}`}
        what={['users', 'user']}
        empty="No users match."
        rowKey={(user) => user.id}
        columns={[
          { header: 'Username', cell: (user) => <Link to={`/users/${encodeURIComponent(user.username)}`}>{user.username}</Link> },
          { header: 'Email', cell: (user) => user.email ?? '—' },
          { header: 'Roles', cell: (user) => user.roles.join(', ') || '—' },
          { header: 'Status', cell: (user) => (user.is_active ? 'Active' : 'Deactivated') },
        ]}
      />
    </section>
  );
}
