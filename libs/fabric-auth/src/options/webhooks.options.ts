/** `auth.webhooks`: signed webhooks out of the library (SPEC §18). */

import { Field, Problem } from './option-field.js';
import { bool, intInSection } from './option-rules.js';

/** Attempts after the first at most: each is a row state the poller revisits. */
const MAX_RETRIES = 20;

const retrySchedule = (v: unknown) =>
  Array.isArray(v) && v.length <= MAX_RETRIES && v.every((s) => typeof s === 'number' && Number.isInteger(s) && s >= 1 && s <= 86_400)
    ? v
    : new Problem(`must be a list of at most ${MAX_RETRIES} whole seconds, each between 1 and 86400`);

/** @publicApi */
export class WebhooksOptions {
  /** Mount the webhooks feature (`<prefix>/webhooks`), write every event to the outbox and deliver it. Default false. */
  @Field('enabled', 'bool', bool)
  enabled?: boolean = false;

  /**
   * Accept webhook URLs on private, loopback and link-local addresses, and `http:` URLs (development
   * only: a receiver on the same machine). Default false: https only, public addresses only, checked
   * at registration and again (DNS resolved, the checked address connected to) at every delivery.
   */
  @Field('allow_private_targets', 'bool', bool)
  allowPrivateTargets?: boolean = false;

  /**
   * Seconds between the attempts of one delivery, after the first; each is stretched by up to 20 %
   * of random jitter. The default, 5 s to 10 h, retries for about 16 hours.
   */
  @Field('retry_schedule', 'list', retrySchedule)
  retrySchedule?: number[] = [5, 30, 120, 600, 1800, 3600, 7200, 14_400, 36_000];

  /**
   * Deliveries in a row that an endpoint failed for good (every attempt of the schedule failed) after
   * which it is disabled (audit event `webhook.disable`, event `webhook.disabled`); a success resets
   * the streak. Default 5.
   */
  @Field('disable_after_failures', 'int', intInSection(1, 1000))
  disableAfterFailures?: number = 5;

  /** Seconds an attempt may take (connect, send, answer) before it counts as failed. Default 10. */
  @Field('request_timeout', 'int', intInSection(1, 60))
  requestTimeout?: number = 10;

  /** Attempts in flight at once per instance, all endpoints together. Default 16. */
  @Field('max_concurrency', 'int', intInSection(1, 256))
  maxConcurrency?: number = 16;

  /** Attempts in flight at once per endpoint and instance. Default 4. */
  @Field('max_concurrency_per_endpoint', 'int', intInSection(1, 64))
  maxConcurrencyPerEndpoint?: number = 4;

  /** Milliseconds between two looks at the outbox and the due retries (an instance's own commits wake it at once). Default 1000. */
  @Field('poll_interval_ms', 'int', intInSection(50, 60_000))
  pollIntervalMs?: number = 1000;

  /**
   * Days a finished delivery (succeeded, or failed for good) is kept for the deliveries list and a
   * redelivery, and an event once no delivery refers to it; then the pruning job deletes them, every
   * `auth.prune_interval` seconds. Default 30.
   */
  @Field('retention_days', 'int', intInSection(1, 3650))
  retentionDays?: number = 30;
}

export type ResolvedWebhooksOptions = Required<WebhooksOptions>;
