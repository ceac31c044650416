import { Injectable } from '@nestjs/common';

/**
 * "The outbox has something new": the outbox writer rings it after a commit, the dispatcher
 * listens. A provider of its own because the writer sits under the audit writer, which the
 * dispatcher itself uses (a direct reference would be a cycle).
 */
@Injectable()
export class WebhookWakeup {
  private listener: (() => void) | undefined;

  listen(listener: () => void): void {
    this.listener = listener;
  }

  ring(): void {
    this.listener?.();
  }
}
