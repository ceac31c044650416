import { useState } from 'preact/hooks';
import { fieldOf, namesIn, useAction } from '../action';
import { ApiError, segment } from '../api';
import { useConsole } from '../context';
import { PagedList } from '../list';
import { OneTimeSecret } from '../secret';
import { Confirm, ErrorNotice, Field, formatDate, Link, Status, useLoad } from '../ui';
import { OrgConnections, OrgDomains } from './org-sso';

interface Org {
  id: string;
  slug: string;
  name: string;
  domains: Array<{ domain: string; verified: boolean }>;
  mfa_required: boolean;
  created_at: string;
}

interface MemberRow {
  user_id: string;
  username: string;
  full_name: string | null;
  email?: string | null;
  roles: string[];
  joined_at: string;
}

interface InvitationRow {
  id: string;
  email: string;
  roles: string[];
  status: string;
  expires_at: string;
}

interface OrgAuditRow {
  id: string;
  occurred_at: string;
  action: string;
  outcome: string;
  actor_name: string | null;
  target_type: string | null;
  target_id: string | null;
}

/**
 * Whether the person may use the part of an organization a read at `path` needs: what their org
 * roles grant there is known to the API only, so the console asks it (a 403 is a no). A platform
 * admin (`orgs:manage`) may everything without asking.
 */
function useMay(path: string): boolean | undefined {
  const { api, can } = useConsole();
  const probe = useLoad(() => (can('orgs:manage') ? Promise.resolve(true) : api.get(path, { limit: '1' }).then(() => true)), path);
  if (probe.data) return true;
  return probe.error instanceof ApiError && probe.error.status === 403 ? false : undefined;
}

/** One organization: its members (change roles, remove), invitations (invite, revoke), SSO connections and domains, and its own audit events. */
export function OrgDetail({ org, features }: { org: string; features: ReadonlySet<string> }) {
  const { api } = useConsole();
  const path = `/orgs/${segment(org)}`;
  const found = useLoad(() => api.get<Org>(path), path);
  const mayManageMembers = useMay(`${path}/invitations`);
  const mayManageOrg = useMay(`${path}/domains`);
  const mayReadAudit = useMay(`${path}/audit`);
  const o = found.data;

  return (
    <section aria-labelledby="org-title">
      <p>
        <Link to="/orgs">Back to organizations</Link>
      </p>
      <h1 id="org-title">Organization {o?.name ?? org}</h1>
      <ErrorNotice error={found.error} />
      {o && (
        <>
          <dl class="facts">
            <dt>Slug</dt>
            <dd>{o.slug}</dd>
            <dt>Id</dt>
            <dd>{o.id}</dd>
            <dt>Domains</dt>
            <dd>{o.domains.map((d) => `${d.domain}${d.verified ? '' : ' (unverified)'}`).join(', ') || '—'}</dd>
            <dt>Second factor required</dt>
            <dd>{o.mfa_required ? 'Yes' : 'No'}</dd>
            <dt>Created</dt>
            <dd>{formatDate(o.created_at)}</dd>
          </dl>
          <Members path={path} mayManage={mayManageMembers === true} />
          {mayManageMembers && <Invitations path={path} />}
          {mayManageOrg && features.has('sso_connections') && <OrgConnections path={path} />}
          {mayManageOrg && <OrgDomains path={path} />}
          {mayReadAudit && (
            <>
              <h2 id="org-audit">Audit events of the organization</h2>
              <PagedList<OrgAuditRow>
                path={`${path}/audit`}
                caption="Audit events of the organization, newest first"
                what={['events', 'event']}
                empty="No events."
                rowKey={(e) => e.id}
                columns={[
                  { header: 'When', cell: (e) => formatDate(e.occurred_at) },
                  { header: 'Event', cell: (e) => e.action },
                  { header: 'Outcome', cell: (e) => e.outcome },
                  { header: 'Actor', cell: (e) => e.actor_name ?? '—' },
                  { header: 'Target', cell: (e) => (e.target_type ? `${e.target_type} ${e.target_id ?? ''}` : '—') },
                ]}
              />
            </>
          )}
        </>
      )}
    </section>
  );
}

function Members({ path, mayManage }: { path: string; mayManage: boolean }) {
  const { api, me } = useConsole();
  const [version, setVersion] = useState(0);
  const action = useAction(() => setVersion((v) => v + 1));
  const [editing, setEditing] = useState<MemberRow | null>(null);
  const [removing, setRemoving] = useState<MemberRow | null>(null);

  return (
    <>
      <h2 id="members-title">Members</h2>
      <ErrorNotice error={action.error} />
      <Status>{action.done}</Status>
      <PagedList<MemberRow>
        path={`${path}/members`}
        version={version}
        caption="Members"
        what={['members', 'member']}
        empty="No members."
        rowKey={(m) => m.user_id}
        columns={[
          { header: 'Username', cell: (m) => m.username },
          { header: 'Name', cell: (m) => m.full_name ?? '—' },
          ...(mayManage ? [{ header: 'Email', cell: (m: MemberRow) => m.email ?? '—' }] : []),
          { header: 'Org roles', cell: (m) => m.roles.join(', ') },
          { header: 'Joined', cell: (m) => formatDate(m.joined_at) },
          ...(mayManage
            ? [
                {
                  header: 'Actions',
                  hiddenHeader: true,
                  cell: (m: MemberRow) => (
                    <>
                      <button type="button" aria-label={`Change roles of ${m.username}`} onClick={() => setEditing(m)}>
                        Change roles
                      </button>{' '}
                      <button type="button" aria-label={`Remove ${m.username}`} onClick={() => setRemoving(m)}>
                        Remove
                      </button>
                    </>
                  ),
                },
              ]
            : []),
        ]}
      />
      {editing && (
        <form
          key={editing.user_id}
          aria-label={`Roles of ${editing.username}`}
          onSubmit={(event) => {
            event.preventDefault();
            const roles = namesIn(fieldOf(event.currentTarget, 'roles'));
            const who = editing.username;
            setEditing(null);
            void action.run(() => api.call('PATCH', `${path}/members/${segment(who)}`, { roles }), `${who} now holds ${roles.join(', ')}.`);
          }}
        >
          <Field label={`Org roles of ${editing.username} (separated by commas)`} name="roles" required defaultValue={editing.roles.join(', ')} />
          <div class="actions">
            <button type="submit">Save roles</button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {removing && (
        <Confirm
          key={removing.user_id}
          label={`Confirm removal of ${removing.username}`}
          action="Confirm removal"
          onConfirm={() => {
            const who = removing.username;
            setRemoving(null);
            void action.run(() => api.delete(`${path}/members/${segment(who)}`), `${who} is removed from the organization.`);
          }}
          onCancel={() => setRemoving(null)}
        >
          {removing.username === me.username ? 'You leave the organization' : `${removing.username} leaves the organization`}: their org roles end at their next request.
        </Confirm>
      )}
    </>
  );
}

function Invitations({ path }: { path: string }) {
  const { api } = useConsole();
  const [version, setVersion] = useState(0);
  const action = useAction(() => setVersion((v) => v + 1));
  const [token, setToken] = useState<{ email: string; value: string } | null>(null);

  return (
    <>
      <h2 id="invitations-title">Invitations</h2>
      <ErrorNotice error={action.error} />
      <Status>{action.done}</Status>
      {token && <OneTimeSecret label={`Invitation token for ${token.email}`} value={token.value} onDone={() => setToken(null)} />}
      <PagedList<InvitationRow>
        path={`${path}/invitations`}
        version={version}
        caption="Invitations"
        what={['invitations', 'invitation']}
        empty="No invitations."
        rowKey={(i) => i.id}
        columns={[
          { header: 'Email', cell: (i) => i.email },
          { header: 'Org roles', cell: (i) => i.roles.join(', ') },
          { header: 'Status', cell: (i) => i.status },
          { header: 'Expires', cell: (i) => formatDate(i.expires_at) },
          {
            header: 'Actions',
            hiddenHeader: true,
            cell: (i) =>
              i.status === 'pending' && (
                <button
                  type="button"
                  aria-label={`Revoke the invitation of ${i.email}`}
                  onClick={() => void action.run(() => api.delete(`${path}/invitations/${segment(i.id)}`), `The invitation of ${i.email} is revoked.`)}
                >
                  Revoke
                </button>
              ),
          },
        ]}
      />
      <form
        aria-label="Invite someone"
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const roles = namesIn(fieldOf(form, 'roles'));
          const body = { email: fieldOf(form, 'email'), roles: roles.length ? roles : undefined };
          void action
            .run(
              () => api.post<InvitationRow & { token: string }>(`${path}/invitations`, body),
              (created) => `${created.email} is invited.`,
            )
            .then((created) => {
              if (!created) return;
              setToken({ email: created.email, value: created.token });
              form.reset();
            });
        }}
      >
        <Field label="Email to invite" name="email" type="email" required maxLength={254} />
        <Field label="Org roles on joining (separated by commas)" name="roles" defaultValue="member" />
        <button type="submit" disabled={action.busy}>
          Invite
        </button>
      </form>
    </>
  );
}
