import { Inject, Injectable } from '@nestjs/common';
import { SessionsService } from 'nestjs-fabric-auth';
import type { SignedOut, SignOutHook } from '../../../libs/fabric-auth/src/core/ports/sign-out-hook.js';

/** The toy's entry in the core's `SignOutHooks` list port; it uses a core service to show it can. */
@Injectable()
export class ToySignOuts implements SignOutHook {
  count = 0;
  lastSessionWasLive: boolean | undefined;

  constructor(@Inject(SessionsService) private readonly sessions: SessionsService) {}

  async afterSignOut(signedOut: SignedOut): Promise<void> {
    this.count += 1;
    this.lastSessionWasLive = await this.sessions.isLive(signedOut.sessionId, signedOut.principal.id);
  }
}
