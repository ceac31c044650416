import { assertPostgresReachable } from './postgres.js';
import { assertRedisReachable } from './redis.js';

export default async function setup(): Promise<void> {
  await assertPostgresReachable();
  await assertRedisReachable();
}
