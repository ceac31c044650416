/**
 * Every expiry decision reads time from here, so tests (and apps that need it) can
 * move time instead of sleeping: `overrideProvider(FabricClock).useValue(...)`.
 *
 * @publicApi
 */
export abstract class FabricClock {
  abstract now(): number;
}

export class SystemClock extends FabricClock {
  now(): number {
    return Date.now();
  }
}
