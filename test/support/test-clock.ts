import { FabricClock } from 'nestjs-fabric-auth';

/** A clock tests move by hand, so expiry is tested without sleeping. */
export class TestClock extends FabricClock {
  private offset = 0;

  now(): number {
    return Date.now() + this.offset;
  }

  advance(seconds: number): void {
    this.offset += seconds * 1000;
  }

  reset(): void {
    this.offset = 0;
  }
}
