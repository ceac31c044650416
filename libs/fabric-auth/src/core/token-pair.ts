/** What a completed sign-in hands the client: the session's tokens (login, MFA, SSO, and the cookies carrying them). */
export interface TokenPair {
  accessToken: string;
  /** Set when the policy demands a second factor the user has not enrolled: the session may only enrol one. */
  mfaEnrollmentRequired?: boolean;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  sessionId: string;
  /** Issued after a password login: lets this client past the locks an attack on the account sets. */
  deviceToken?: string;
}
