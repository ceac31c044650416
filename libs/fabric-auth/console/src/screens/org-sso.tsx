import { useState } from 'preact/hooks';
import { fieldOf, useAction } from '../action';
import { segment } from '../api';
import { Confirm, ErrorNotice, Field, Status, useLoad } from '../ui';
import { useConsole } from '../context';

interface Connection {
  id: string;
  name: string;
  protocol: 'oidc' | 'saml';
  enabled: boolean;
  oidc?: { issuer: string; client_id: string; client_secret_set: boolean };
  saml?: { idp_metadata_url: string | null; idp_metadata_set: boolean; sp_entity_id: string; acs_url: string; metadata_url: string };
  login_url: string;
}

interface TestResult {
  ok: boolean;
  problems: string[];
}

interface DomainClaim {
  domain: string;
  verified: boolean;
  verified_by: string | null;
  verification: { record_name: string; record_value: string } | null;
}

/** An organization's own SSO connections (org:manage): list, create (OIDC or SAML), test, delete. The OIDC client secret goes in and never comes back. */
export function OrgConnections({ path }: { path: string }) {
  const { api } = useConsole();
  const list = useLoad(() => api.get<{ items: Connection[] }>(`${path}/connections`), path);
  const action = useAction(list.reload);
  const [protocol, setProtocol] = useState<'oidc' | 'saml'>('oidc');
  const [tested, setTested] = useState<{ name: string; result: TestResult } | null>(null);
  const [deleting, setDeleting] = useState<Connection | null>(null);

  async function test(connection: Connection) {
    setTested(null);
    const result = await action.run(() => api.post<TestResult>(`${path}/connections/${segment(connection.id)}/test`), '');
    if (result) setTested({ name: connection.name, result });
  }

  return (
    <>
      <h2 id="connections-title">SSO connections</h2>
      <ErrorNotice error={list.error ?? action.error} />
      <Status>
        {action.done}
        {tested && (tested.result.ok ? `The connection ${tested.name} works: the identity provider answered what a sign-in needs.` : '')}
      </Status>
      {tested && !tested.result.ok && (
        <div class="notice error" role="alert">
          <p>The connection {tested.name} does not work yet:</p>
          <ul>
            {tested.result.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      {list.data &&
        (list.data.items.length === 0 ? (
          <p class="muted">No SSO connections.</p>
        ) : (
          <table aria-labelledby="connections-title">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Protocol</th>
                <th scope="col">Settings</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>{c.protocol.toUpperCase()}</td>
                  <td class="agent">
                    {c.oidc && `Issuer ${c.oidc.issuer}; client ${c.oidc.client_id}; secret ${c.oidc.client_secret_set ? 'stored' : 'none'}`}
                    {c.saml &&
                      `IdP metadata ${c.saml.idp_metadata_url ?? (c.saml.idp_metadata_set ? 'given inline' : 'none')}; give the IdP the ACS URL ${c.saml.acs_url} and the entity id ${c.saml.sp_entity_id}`}
                  </td>
                  <td>{c.enabled ? 'Enabled' : 'Disabled'}</td>
                  <td>
                    <button type="button" aria-label={`Test ${c.name}`} onClick={() => void test(c)}>
                      Test
                    </button>{' '}
                    <button type="button" aria-label={`Delete ${c.name}`} onClick={() => setDeleting(c)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      {deleting && (
        <Confirm
          key={deleting.id}
          label={`Confirm deletion of ${deleting.name}`}
          action="Confirm deletion"
          onConfirm={() => {
            const c = deleting;
            setDeleting(null);
            void action.run(() => api.delete(`${path}/connections/${segment(c.id)}`), `The connection ${c.name} is deleted.`);
          }}
          onCancel={() => setDeleting(null)}
        >
          Nobody signs in through {deleting.name} once it is deleted.
        </Confirm>
      )}
      <form
        aria-label="Add an SSO connection"
        onSubmit={(event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const metadata = fieldOf(form, 'idp_metadata');
          const settings =
            protocol === 'oidc'
              ? { oidc: { issuer: fieldOf(form, 'issuer'), client_id: fieldOf(form, 'client_id'), client_secret: fieldOf(form, 'client_secret') } }
              : { saml: metadata ? { idp_metadata: metadata } : { idp_metadata_url: fieldOf(form, 'idp_metadata_url') } };
          const name = fieldOf(form, 'name');
          void action.run(() => api.post(`${path}/connections`, { name, protocol, ...settings }), `The connection ${name} is added.`).then((created) => created && form.reset());
        }}
      >
        <Field label="Connection name" name="name" required maxLength={100} />
        <label>
          Protocol
          <select name="protocol" value={protocol} onChange={(event) => setProtocol(event.currentTarget.value === 'saml' ? 'saml' : 'oidc')}>
            <option value="oidc">OpenID Connect</option>
            <option value="saml">SAML 2.0</option>
          </select>
        </label>
        {protocol === 'oidc' ? (
          <fieldset key="oidc">
            <legend>OpenID Connect provider</legend>
            <Field label="Issuer URL" name="issuer" type="url" required maxLength={2048} />
            <Field label="Client id" name="client_id" required maxLength={255} />
            <Field label="Client secret (stored encrypted, never shown again)" name="client_secret" type="password" required maxLength={1024} />
          </fieldset>
        ) : (
          <fieldset key="saml">
            <legend>SAML identity provider: its metadata URL, or the metadata itself</legend>
            <Field label="IdP metadata URL" name="idp_metadata_url" type="url" maxLength={2048} />
            <label>
              IdP metadata (XML)
              <textarea name="idp_metadata" rows={4} />
            </label>
          </fieldset>
        )}
        <button type="submit" disabled={action.busy}>
          Add connection
        </button>
      </form>
    </>
  );
}

/** The email domains an organization claims (org:manage): claim one, verify it by its DNS TXT record, give it up. */
export function OrgDomains({ path }: { path: string }) {
  const { api } = useConsole();
  const list = useLoad(() => api.get<{ items: DomainClaim[] }>(`${path}/domains`), path);
  const action = useAction(list.reload);

  return (
    <>
      <h2 id="domains-title">Domains</h2>
      <ErrorNotice error={list.error ?? action.error} />
      <Status>{action.done}</Status>
      {list.data &&
        (list.data.items.length === 0 ? (
          <p class="muted">No domain claims.</p>
        ) : (
          <table aria-labelledby="domains-title">
            <thead>
              <tr>
                <th scope="col">Domain</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((d) => (
                <tr key={d.domain}>
                  <td>{d.domain}</td>
                  <td class="agent">
                    {d.verified
                      ? `Verified (${d.verified_by === 'admin' ? 'by a platform admin' : 'by DNS'})`
                      : d.verification && `Unverified: publish a TXT record at ${d.verification.record_name} holding ${d.verification.record_value}`}
                  </td>
                  <td>
                    {!d.verified && (
                      <button
                        type="button"
                        aria-label={`Verify ${d.domain}`}
                        onClick={() => void action.run(() => api.post(`${path}/domains/${segment(d.domain)}/verify`), `${d.domain} is verified.`)}
                      >
                        Verify
                      </button>
                    )}{' '}
                    <button
                      type="button"
                      aria-label={`Give up ${d.domain}`}
                      onClick={() => void action.run(() => api.delete(`${path}/domains/${segment(d.domain)}`), `${d.domain} is no longer claimed.`)}
                    >
                      Give up
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      <form
        aria-label="Claim a domain"
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          const form = event.currentTarget;
          const domain = fieldOf(form, 'domain');
          void action.run(() => api.post(`${path}/domains`, { domain }), `${domain} is claimed; verify it by its TXT record.`).then((claimed) => claimed && form.reset());
        }}
      >
        <Field label="Domain to claim" name="domain" required maxLength={253} />
        <button type="submit" disabled={action.busy}>
          Claim domain
        </button>
      </form>
    </>
  );
}
