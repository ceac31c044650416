/** `value` with its last character changed: never `value` itself, whatever that character was. */
export const withLastCharacterChanged = (value: string): string => `${value.slice(0, -1)}${value.endsWith('A') ? 'B' : 'A'}`;
