import { type ListPage, segment } from '../api';
import { useConsole } from '../context';
import { fieldOf as field, namesIn as words, useAction } from '../action';
import { ConfirmButton, ErrorNotice, Field, Status, useLoad } from '../ui';
import type { UserRow } from './users';

interface RoleName {
  name: string;
  description: string | null;
}

/**
 * The changes an administrator makes to a user (users:modify): email, name and roles (PATCH), a
 * new password, and removing every second factor (the API's admin reset, which wants the
 * administrator's own recent second factor).
 */
export function UserEdit({ user, onChanged }: { user: UserRow; onChanged(): void }) {
  const { api, can, me } = useConsole();
  const path = `/users/${segment(user.username)}`;
  const action = useAction(onChanged);
  // Roles as checkboxes when the person may read the roles; as names otherwise.
  const roles = useLoad(() => (can('roles:read') ? api.get<ListPage<RoleName>>('/roles', { limit: '100' }) : Promise.resolve(null)), 'roles');
  const self = me.username === user.username;

  return (
    <section aria-labelledby="edit-title">
      <h2 id="edit-title">Change {user.username}</h2>
      <ErrorNotice error={action.error ?? roles.error} />
      <Status>{action.done}</Status>
      <form
        aria-label={`Edit ${user.username}`}
        onSubmit={(event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const chosen = roles.data ? [...form.querySelectorAll<HTMLInputElement>('input[name="role"]:checked')].map((box) => box.value) : words(field(form, 'roles'));
          const email = field(form, 'email');
          const fullName = field(form, 'full_name');
          // Only what changed: an unchanged field is not the caller's to re-assert.
          const change: Record<string, unknown> = {};
          if (email !== (user.email ?? '')) change.email = email;
          if (fullName !== (user.full_name ?? '')) change.full_name = fullName;
          if (chosen.slice().sort().join() !== user.roles.slice().sort().join()) change.roles = chosen;
          void action.run(() => api.patch(path, change), `${user.username} is saved.`);
        }}
      >
        <Field label="Email" name="email" type="email" defaultValue={user.email ?? ''} />
        <Field label="Full name" name="full_name" defaultValue={user.full_name ?? ''} />
        {roles.data ? (
          <fieldset>
            <legend>Roles</legend>
            {roles.data.items.map((role) => (
              <label key={role.name}>
                <input type="checkbox" name="role" value={role.name} defaultChecked={user.roles.includes(role.name)} />
                {role.name}
              </label>
            ))}
          </fieldset>
        ) : (
          <Field label="Roles (separated by spaces)" name="roles" defaultValue={user.roles.join(' ')} />
        )}
        <button type="submit">Save changes</button>
      </form>
      {!self && (
        <>
          <form
            class="inline"
            aria-label={`New password for ${user.username}`}
            onSubmit={(event) => {
              event.preventDefault();
              const form = event.currentTarget;
              void action.run(async () => {
                await api.post(`${path}/password`, { new_password: (form.elements.namedItem('new_password') as HTMLInputElement).value });
                form.reset();
              }, `The password of ${user.username} is changed; their sessions are revoked.`);
            }}
          >
            <Field label="New password" name="new_password" type="password" autocomplete="new-password" required />
            <button type="submit">Set password</button>
          </form>
          <ConfirmButton
            text="Reset second factors"
            label={`Confirm the reset of ${user.username}'s second factors`}
            action="Confirm reset"
            onConfirm={() => void action.run(() => api.delete(`${path}/mfa`, {}), `Every second factor of ${user.username} is removed.`)}
          >
            This removes their authenticator app, passkeys and recovery codes: they sign in with the password alone until they enrol again.
          </ConfirmButton>
        </>
      )}
    </section>
  );
}
