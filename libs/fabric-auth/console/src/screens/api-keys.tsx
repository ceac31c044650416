import { useState } from 'preact/hooks';
import { segment } from '../api';
import { useConsole } from '../context';
import { PagedList } from '../list';
import { fieldOf as field, namesIn as words, useAction } from '../action';
import { OneTimeSecret } from '../secret';
import { ErrorNotice, Field, formatDate, Status } from '../ui';

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string[] | null;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

/**
 * The API keys of one owner (a user, a service account) at `base` (`/users/alice/api-keys`): the
 * list (prefix, never the key), minting (the raw key shown once, from the creating answer only)
 * and revoking, each control shown when the person may use it.
 */
export function ApiKeys({ base, owner, mayList, mayMint, mayRevoke }: { base: string; owner: string; mayList: boolean; mayMint: boolean; mayRevoke: boolean }) {
  const { api } = useConsole();
  const [version, setVersion] = useState(0);
  const action = useAction(() => setVersion((v) => v + 1));
  const [minted, setMinted] = useState<string | null>(null);
  if (!mayList && !mayMint) return null;

  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <ErrorNotice error={action.error} />
      <Status>{action.done}</Status>
      {minted && <OneTimeSecret label="New API key" value={minted} onDone={() => setMinted(null)} />}
      {mayMint && (
        <form
          class="inline"
          aria-label={`Mint an API key for ${owner}`}
          onSubmit={(event) => {
            event.preventDefault();
            const form = event.currentTarget;
            const scopes = words(field(form, 'scopes'));
            const days = field(form, 'expires_in_days');
            void action.run(async () => {
              const created = await api.post<{ key: string }>(base, {
                name: field(form, 'name'),
                scopes: scopes.length > 0 ? scopes : undefined,
                expires_in_days: days ? Number(days) : undefined,
              });
              setMinted(created.key);
              form.reset();
            }, 'The key is minted.');
          }}
        >
          <Field label="Key name" name="name" required />
          <Field label="Scopes (optional, separated by spaces)" name="scopes" />
          <Field label="Expires in days (optional)" name="expires_in_days" type="number" min={1} />
          <button type="submit">Mint key</button>
        </form>
      )}
      {mayList && (
        <PagedList<ApiKeyRow>
          path={base}
          version={version}
          caption={`API keys of ${owner}`}
          what={['API keys', 'API key']}
          empty="No API keys."
          rowKey={(key) => key.id}
          columns={[
            { header: 'Name', cell: (key) => key.name },
            { header: 'Prefix', cell: (key) => <code>{key.prefix}…</code> },
            { header: 'Scopes', cell: (key) => key.scopes?.join(', ') ?? 'All of the owner’s permissions' },
            { header: 'Expires', cell: (key) => formatDate(key.expires_at) },
            { header: 'Last used', cell: (key) => formatDate(key.last_used_at) },
            {
              header: 'Status',
              cell: (key) =>
                key.revoked_at ? (
                  `Revoked ${formatDate(key.revoked_at)}`
                ) : mayRevoke ? (
                  <button
                    type="button"
                    aria-label={`Revoke key ${key.name}`}
                    onClick={() => void action.run(() => api.delete(`${base}/${segment(key.id)}`), `The key ${key.name} is revoked.`)}
                  >
                    Revoke
                  </button>
                ) : (
                  'Active'
                ),
            },
          ]}
        />
      )}
    </section>
  );
}
