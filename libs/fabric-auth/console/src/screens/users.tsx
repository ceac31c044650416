import { useState } from 'preact/hooks';
import { useConsole } from '../context';
import { PagedList } from '../list';
import { fieldOf as field, namesIn as words } from '../action';
import { ErrorNotice, Field, Link } from '../ui';

export interface UserRow {
  id: string;
  username: string;
  email: string | null;
  full_name: string | null;
  is_active: boolean;
  roles: string[];
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

/** Users, server-paged with cursors, searched by username or email prefix (GET /users?q=). */
export function Users() {
  const { can } = useConsole();
  const [query, setQuery] = useState('');
  const [creating, setCreating] = useState(false);

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
        <Field label="Username or email starts with" name="q" type="search" maxLength={150} />
        <button type="submit">Search</button>
      </form>
      {can('users:create') &&
        (creating ? (
          <CreateUser onCancel={() => setCreating(false)} />
        ) : (
          <button type="button" onClick={() => setCreating(true)}>
            New user
          </button>
        ))}
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

/** POST /users: the API checks each field and the roles against the grant ceiling; its refusals are shown as sentences. */
function CreateUser({ onCancel }: { onCancel(): void }) {
  const { api, router } = useConsole();
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      aria-labelledby="create-title"
      onSubmit={(event) => {
        event.preventDefault();
        const form = event.currentTarget;
        const roles = words(field(form, 'roles'));
        const body = {
          username: field(form, 'username'),
          email: field(form, 'email'),
          full_name: field(form, 'full_name') || undefined,
          password: (form.elements.namedItem('password') as HTMLInputElement).value || undefined,
          roles: roles.length > 0 ? roles : undefined,
        };
        setError(null);
        api.post<UserRow>('/users', body).then(
          (created) => router.navigate(`/users/${encodeURIComponent(created.username)}`),
          (caught: unknown) => setError(caught),
        );
      }}
    >
      <h2 id="create-title">New user</h2>
      <ErrorNotice error={error} />
      <Field label="Username" name="username" required />
      <Field label="Email" name="email" required />
      <Field label="Full name (optional)" name="full_name" />
      <Field label="Password (optional: without one, they get an activation link)" name="password" type="password" autocomplete="new-password" />
      <Field label="Roles (optional, separated by spaces)" name="roles" />
      <div class="actions">
        <button type="submit">Create user</button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
