/** What a cache must forget: one session, one API key, everything of one principal, or everything. */
export type RevocationEvent =
  | { readonly type: 'session'; readonly sessionId: string }
  | { readonly type: 'principal'; readonly principalId: string }
  | { readonly type: 'api_key'; readonly apiKeyId: string }
  | { readonly type: 'all' };

export type RevocationListener = (event: RevocationEvent) => void;

/**
 * Port through which revocations reach every instance's caches. The default works
 * inside one process; a Redis implementation broadcasts across instances.
 */
export interface FabricRevocationBus {
  publish(event: RevocationEvent): Promise<void>;
  subscribe(listener: RevocationListener): () => void;
  /**
   * False while events from other instances may be missed (e.g. Redis unreachable):
   * caches must then be bypassed. Absent means always reliable.
   */
  reliable?(): boolean;
}

export class InMemoryRevocationBus implements FabricRevocationBus {
  private readonly listeners = new Set<RevocationListener>();

  async publish(event: RevocationEvent): Promise<void> {
    for (const listener of this.listeners) listener(event);
  }

  subscribe(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
