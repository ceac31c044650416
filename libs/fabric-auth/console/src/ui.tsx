import type { ComponentChildren, InputHTMLAttributes } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';
import { useConsole } from './context';

/** A failure as a sentence, announced to screen readers. */
export function ErrorNotice({ error }: { error: unknown }) {
  if (!error) return null;
  const told = error instanceof ApiError ? error.sentences : ['Something went wrong. Reload the page and try again.'];
  return (
    <div class="notice error" role="alert">
      {told.length === 1 ? (
        told[0]
      ) : (
        <ul>
          {told.map((t) => (
            <li key={t}>{t}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A result announced politely (an action done): the live region stays in the page, so that what appears in it is read out. */
export function Status({ children }: { children?: ComponentChildren }) {
  return <div role="status">{children ? <p class="notice status">{children}</p> : null}</div>;
}

/** An in-console link that navigates without reloading (and opens in a new tab as a normal link). */
export function Link({ to, children, label }: { to: string; children: ComponentChildren; label?: string }) {
  const { router } = useConsole();
  return (
    <a
      href={router.href(to)}
      aria-label={label}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        router.navigate(to);
      }}
    >
      {children}
    </a>
  );
}

/** A form's text field, named by its label (autocomplete off unless said otherwise). */
export function Field({ label, ...input }: { label: ComponentChildren } & InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label>
      {label}
      <input autocomplete="off" {...input} />
    </label>
  );
}

export interface ConfirmProps {
  /** The group's accessible name (`Confirm deletion of …`). */
  label: string;
  /** What confirming does, said before the buttons. */
  children: ComponentChildren;
  /** The confirming button's text (`Confirm deletion`). */
  action: string;
  onConfirm(): void;
  onCancel(): void;
}

/**
 * A confirmation asked before a destructive action: what it does, then Confirm and Cancel. The
 * control that opened it may be gone: its confirming button takes the focus, so a keyboard user
 * goes on from there.
 */
export function Confirm({ label, children, action, onConfirm, onCancel }: ConfirmProps) {
  const first = useRef<HTMLButtonElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <div class="confirm" role="group" aria-label={label}>
      <p>{children}</p>
      <button ref={first} type="button" class="danger" onClick={onConfirm}>
        {action}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}

/** A destructive action's button (`Delete role`) that asks for confirmation in its place before `onConfirm`. */
export function ConfirmButton({ text, ...confirm }: { text: string } & Omit<ConfirmProps, 'onCancel'>) {
  const [asking, setAsking] = useState(false);
  return asking ? (
    <Confirm
      {...confirm}
      onConfirm={() => {
        setAsking(false);
        confirm.onConfirm();
      }}
      onCancel={() => setAsking(false)}
    />
  ) : (
    <button type="button" class="danger" onClick={() => setAsking(true)}>
      {text}
    </button>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Runs `load` whenever `key` changes (and on `reload()`); the latest answer wins. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
    // `load` is rebuilt on every render; `key` says when it asks for something else.
  }, [key, round]);
  return { data: state.data, error: state.error, loading: state.loading, reload: useCallback(() => setRound((r) => r + 1), []) };
}

/** Cursor paging: the cursors of the pages before, so Previous goes back without offsets. */
export function useCursorPages(resetKey: string) {
  const [stack, setStack] = useState<Array<string | undefined>>([undefined]);
  useEffect(() => setStack([undefined]), [resetKey]);
  const cursor = stack[stack.length - 1];
  return {
    cursor,
    page: stack.length,
    next: (nextCursor: string) => setStack((s) => [...s, nextCursor]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
  };
}

export function Pager({ page, hasNext, onNext, onPrevious, what }: { page: number; hasNext: boolean; onNext(): void; onPrevious(): void; what: string }) {
  return (
    <nav class="pager" aria-label={`Pages of ${what}`}>
      <button type="button" onClick={onPrevious} disabled={page <= 1}>
        Previous page
      </button>
      <span>Page {page}</span>
      <button type="button" onClick={onNext} disabled={!hasNext}>
        Next page
      </button>
    </nav>
  );
}

export const formatDate = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');
