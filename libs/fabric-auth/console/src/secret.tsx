import { useState } from 'preact/hooks';

/**
 * A secret the API answers once (a webhook's signing secret, an invitation token): shown with a
 * Copy button until the person leaves the screen. The console keeps it nowhere else, and no
 * later call can fetch it again.
 */
export function OneTimeSecret({ label, value, onDone }: { label: string; value: string; onDone(): void }) {
  const [copied, setCopied] = useState<'' | 'yes' | 'no'>('');
  return (
    <div class="secret" role="group" aria-label={label}>
      <p>
        <strong>{label}</strong>: shown this once. Copy it now; it cannot be shown again.
      </p>
      <code>{value}</code>
      <div class="actions">
        <button
          type="button"
          onClick={() => {
            navigator.clipboard.writeText(value).then(
              () => setCopied('yes'),
              () => setCopied('no'),
            );
          }}
        >
          Copy
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
      <div role="status">{copied === 'yes' ? 'Copied.' : copied === 'no' ? 'The browser refused to copy: select the text and copy it.' : ''}</div>
    </div>
  );
}
