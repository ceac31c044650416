import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { readFabricConfigTree } from 'nestjs-fabric-auth';
import { describe, expect, it } from 'vitest';
import { loadDemoConfig } from '../../apps/demo/src/demo-config.js';

interface Service {
  image?: string;
  build?: string;
  ports?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  networks?: string[] | Record<string, { ipv4_address?: string }>;
}

const compose = load(readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, Service> };
const readme = readFileSync('README.md', 'utf8');
const nginx = readFileSync('deploy/nginx.conf', 'utf8');

/** `${NAME:?message}` as docker compose would expand it, with a value of our own. */
function expand(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+):\?[^}]*\}/g, (_, name: string) =>
    name === 'FABRIC_AUTH__SECRET_KEY' ? 'compose-test-secret-4e1a7c9b2d5f8a3c6e0b' : 'Compose-admin-pass-1',
  );
}

describe('docker-compose.yml (parsed; no Docker engine runs here)', () => {
  it('declares PostgreSQL, Redis, two demo instances and a proxy', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['demo-a', 'demo-b', 'postgres', 'proxy', 'redis']);
    expect(compose.services['demo-a'].build).toBe('.');
    expect(compose.services['demo-b'].environment).toEqual(compose.services['demo-a'].environment);
  });

  it('gives the demos an environment the demo reads and accepts', () => {
    const environment = Object.fromEntries(Object.entries(compose.services['demo-a'].environment!).map(([k, v]) => [k, expand(v)]));
    const pg = compose.services.postgres.environment!;
    expect(environment.DATABASE_URL).toBe(`postgres://${pg.POSTGRES_USER}:${pg.POSTGRES_PASSWORD}@postgres:5432/${pg.POSTGRES_DB}`);
    expect(environment.FABRIC_SERVER__REDIS_URL).toBe('redis://redis:6379');
    expect(() => readFabricConfigTree({ env: environment })).not.toThrow();
    const config = loadDemoConfig({ ...environment, DATA_DIR: '/tmp/fabric-compose-test' });
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ type: 'postgres', url: environment.DATABASE_URL });
    expect(config.options.redisUrl).toBe('redis://redis:6379');
    expect(config.devNotices).toEqual([]);
  });

  it('trusts X-Forwarded-For from the proxy only, and the proxy sets it', () => {
    const proxyAddress = (compose.services.proxy.networks as Record<string, { ipv4_address: string }>).fabric.ipv4_address;
    expect(JSON.parse(compose.services['demo-a'].environment!.FABRIC_SERVER__TRUSTED_PROXIES)).toEqual([proxyAddress]);
    expect(nginx).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
  });

  it('the proxy balances over both demos on the port they listen on', () => {
    const port = compose.services['demo-a'].environment!.PORT;
    expect(nginx).toContain(`server demo-a:${port};`);
    expect(nginx).toContain(`server demo-b:${port};`);
    expect(compose.services.proxy.volumes).toContain('./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro');
    const published = compose.services.proxy.ports![0].split(':')[0];
    expect(nginx).toContain(`listen ${compose.services.proxy.ports![0].split(':')[1]};`);
    expect(readme).toContain(`http://localhost:${published}`);
  });

  it('publishes PostgreSQL and Redis where the README says', () => {
    expect(compose.services.postgres.ports).toEqual(['5432:5432']);
    expect(compose.services.redis.ports).toEqual(['6379:6379']);
    expect(readme).toContain('docker compose up');
    expect(readme).toContain('FABRIC_SERVER__REDIS_URL=redis://127.0.0.1:6379');
  });
});
