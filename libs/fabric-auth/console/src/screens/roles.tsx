import { segment } from '../api';
import { fieldOf as field, namesIn as words, useAction } from '../action';
import { useConsole } from '../context';
import { PagedList } from '../list';
import { ConfirmButton, ErrorNotice, Field, Link, Status, useLoad } from '../ui';

interface RoleRow {
  id: string;
  name: string;
  description: string | null;
  permissions: string[];
  from_config: boolean;
}

/** Roles with their permissions (GET /roles), and creating a custom one (roles:manage). */
export function Roles() {
  const { api, can, router } = useConsole();
  const action = useAction();
  return (
    <section aria-labelledby="roles-title">
      <h1 id="roles-title">Roles</h1>
      {can('roles:manage') && (
        <form
          aria-label="New role"
          onSubmit={(event) => {
            event.preventDefault();
            const form = event.currentTarget;
            const body = { name: field(form, 'name'), description: field(form, 'description') || undefined, permissions: words(field(form, 'permissions')) };
            void action.run(() => api.post('/roles', body).then(() => router.navigate(`/roles/${segment(body.name)}`)), `The role ${body.name} is created.`);
          }}
        >
          <Field label="Name" name="name" required />
          <Field label="Description (optional)" name="description" />
          <Field label="Permissions (separated by spaces)" name="permissions" />
          <button type="submit">Create role</button>
        </form>
      )}
      <ErrorNotice error={action.error} />
      <PagedList<RoleRow>
        path="/roles"
        caption="Roles and their permissions"
        what={['roles', 'role']}
        empty="No roles."
        rowKey={(role) => role.id}
        columns={[
          { header: 'Role', cell: (role) => <Link to={`/roles/${segment(role.name)}`}>{role.name}</Link> },
          { header: 'Description', cell: (role) => role.description ?? '—' },
          { header: 'Permissions', cell: (role) => role.permissions.join(', ') || '—' },
          { header: 'Defined in', cell: (role) => (role.from_config ? 'Configuration' : 'Console or API') },
        ]}
      />
    </section>
  );
}

/** One role: a custom role is edited (description, permissions) or deleted; a role from the configuration is rewritten at every start, so only read. */
export function RoleDetail({ name }: { name: string }) {
  const { api, can, router } = useConsole();
  const path = `/roles/${segment(name)}`;
  const role = useLoad(() => api.get<RoleRow>(path), path);
  const action = useAction(role.reload);
  const r = role.data;
  const editable = r !== undefined && !r.from_config && can('roles:manage');
  return (
    <section aria-labelledby="role-title">
      <p>
        <Link to="/roles">Back to roles</Link>
      </p>
      <h1 id="role-title">Role {name}</h1>
      <ErrorNotice error={role.error ?? action.error} />
      <Status>{action.done}</Status>
      {r && !editable && (
        <dl class="facts">
          <dt>Description</dt>
          <dd>{r.description ?? '—'}</dd>
          <dt>Permissions</dt>
          <dd>{r.permissions.join(', ') || '—'}</dd>
          <dt>Defined in</dt>
          <dd>{r.from_config ? 'Configuration (read only here)' : 'Console or API'}</dd>
        </dl>
      )}
      {r && editable && (
        <>
          <form
            aria-label={`Edit role ${name}`}
            onSubmit={(event) => {
              event.preventDefault();
              const form = event.currentTarget;
              void action.run(() => api.patch(path, { description: field(form, 'description'), permissions: words(field(form, 'permissions')) }), `The role ${name} is saved.`);
            }}
          >
            <Field label="Description" name="description" defaultValue={r.description ?? ''} />
            <Field label="Permissions (separated by spaces)" name="permissions" defaultValue={r.permissions.join(' ')} />
            <button type="submit">Save role</button>
          </form>
          <ConfirmButton
            text="Delete role"
            label={`Confirm deletion of role ${name}`}
            action="Confirm deletion"
            onConfirm={() => void action.run(() => api.delete(path).then(() => router.navigate('/roles')), `The role ${name} is deleted.`)}
          >
            Everyone holding {name} loses its permissions at their next request.
          </ConfirmButton>
        </>
      )}
    </section>
  );
}
