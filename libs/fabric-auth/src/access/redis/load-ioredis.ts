import { FabricConfigError } from '../../options/fabric-config.error.js';

export type RedisClass = typeof import('ioredis').Redis;

/**
 * ioredis is an optional peer: loaded only when `server.redis_url` is set, so an app without
 * Redis need not install it, and one that sets the URL without it gets told what to install.
 */
export async function loadIoredis(): Promise<RedisClass> {
  try {
    return (await import('ioredis')).Redis;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes('ioredis')) {
      throw new FabricConfigError(['server.redis_url: is set, but the optional peer "ioredis" is not installed (npm install ioredis)']);
    }
    throw error;
  }
}
