/**
 * Usernames and emails are compared after NFKC and lower-casing, so `Alice`, `ａｌｉｃｅ`
 * (fullwidth) and `alice` are one account, and a fullwidth `＠` cannot mint a twin email.
 */
export function normalizeUsername(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

export function normalizeEmail(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

export const USERNAME_RULE = /^[a-z0-9][a-z0-9_.-]{1,149}$/;
