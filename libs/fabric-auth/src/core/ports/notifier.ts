import { Logger } from '@nestjs/common';

/** @publicApi */
export interface FabricNotification {
  purpose: 'activation' | 'password_reset' | 'email_verification';
  user: { id: string; username: string; email: string | null };
  /** The raw one-time token; only ever in this message, never in an HTTP answer. */
  token: string;
  /** Link built from `auth.public_base_url`, never from the request's Host header. */
  link: string;
  expiresAt: Date;
}

/**
 * An invitation to join an organization (SPEC §15), for an address that may have no account yet.
 *
 * @publicApi
 */
export interface FabricInvitationNotification {
  purpose: 'organization_invitation';
  /** The invited address (normalised); the invitation is accepted only by an account that verified it. */
  email: string;
  organization: { id: string; slug: string; name: string };
  /** Null when a caller without an account (a service account) invited. */
  invitedBy: { id: string; username: string } | null;
  roles: string[];
  /** The raw invitation token; besides the inviter's one answer, only ever in this message. */
  token: string;
  /** `<public base URL>/accept-invitation?token=…`, never built from the request's Host header. */
  link: string;
  expiresAt: Date;
}

/**
 * Port through which activation, reset and email-verification tokens reach the user (mail,
 * SMS…): a class given as the module's `notifier` option, injectable under `FABRIC_NOTIFIER`.
 * Called after the HTTP answer is decided; a failure is logged and never changes that answer.
 *
 * @publicApi
 */
export interface FabricNotifier {
  send(notification: FabricNotification): Promise<void>;
  /**
   * Delivers an organization invitation. Optional, so that notifiers written before
   * organizations keep compiling: without it the link is logged as a warning and the invitee
   * hears nothing until the inviter passes the token on.
   */
  sendInvitation?(invitation: FabricInvitationNotification): Promise<void>;
}

/** Development default: writes the link to the log. Replace it in production. */
export class LoggingNotifier implements FabricNotifier {
  private readonly logger = new Logger('FabricNotifier');

  async send(notification: FabricNotification): Promise<void> {
    const what = { activation: 'Activation', password_reset: 'Password reset', email_verification: 'Email verification' }[notification.purpose];
    this.logger.warn(
      `${what} link for "${notification.user.username}" (development notifier; give FabricAuthModule a notifier class to send mail): ` +
        `${notification.link} (expires ${notification.expiresAt.toISOString()})`,
    );
  }

  async sendInvitation(invitation: FabricInvitationNotification): Promise<void> {
    this.logger.warn(
      `Invitation of ${invitation.email} to organization "${invitation.organization.slug}" (development notifier; give FabricAuthModule a notifier class to send mail): ` +
        `${invitation.link} (expires ${invitation.expiresAt.toISOString()})`,
    );
  }
}
