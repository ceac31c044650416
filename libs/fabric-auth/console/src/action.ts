import { useState } from 'preact/hooks';

/**
 * A screen's writes: each runs one API call, then says what was done (a polite status) or why it
 * was refused (an alert), and lets the screen reload what changed.
 */
export function useAction(after: () => void = () => undefined) {
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  async function run<T>(call: () => Promise<T>, said: string | ((answer: T) => string)): Promise<T | undefined> {
    setError(null);
    setDone('');
    setBusy(true);
    try {
      const answer = await call();
      setDone(typeof said === 'string' ? said : said(answer));
      after();
      return answer;
    } catch (caught) {
      setError(caught);
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  return { error, done, busy, run };
}

/** A form's field by name, trimmed. */
export const fieldOf = (form: HTMLFormElement, name: string): string => ((form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '').trim();

/** A comma- or space-separated list typed in a field: its names, without blanks or repeats. */
export const namesIn = (text: string): string[] => [...new Set(text.split(/[\s,]+/).filter((n) => n !== ''))];
