import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';

/** How an issuer's JWKS endpoint answers: its keys, or one way of being down. */
export type JwksMode = 'ok' | '503' | '500' | 'html' | 'drop' | 'not-a-jwks';

/**
 * Issuers shaped like Keycloak realms (`<origin>/realms/<name>`), each with its discovery
 * document, its JWKS and its private keys, on one loopback server. Tests sign whatever a
 * real issuer of that kind signs, and break the JWKS endpoint the ways real ones break.
 */
export interface IssuerServer {
  origin: string;
  realm(name: string): Realm;
  close(): Promise<void>;
}

export interface Realm {
  issuer: string;
  jwksMode: JwksMode;
  jwksHits(): number;
  /** The kid that signs now. */
  kid: string;
  /** A new key signs from now on; `dropOld` removes the others from the JWKS (a rotation as Keycloak does it). */
  rotate(dropOld: boolean): void;
  /** A key that signs but is not published (a rotation the JWKS has not caught up with). */
  unpublishedKid(): string;
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
}

interface Key {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
  published: boolean;
}

export async function startIssuerServer(): Promise<IssuerServer> {
  const realms = new Map<string, { realm: Realm; keys: Key[]; hits: number }>();
  const server: Server = createServer((request, response) => {
    const match = /^\/realms\/([\w-]+)(\/.*)$/.exec((request.url ?? '/').split('?')[0]);
    const entry = match ? realms.get(match[1]) : undefined;
    if (!entry) return void response.writeHead(404).end();
    const { realm } = entry;
    if (match![2] === '/.well-known/openid-configuration') {
      return void response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ issuer: realm.issuer, jwks_uri: `${realm.issuer}/protocol/openid-connect/certs` }));
    }
    if (match![2] !== '/protocol/openid-connect/certs') return void response.writeHead(404).end();
    entry.hits++;
    switch (realm.jwksMode) {
      case 'ok':
        return void response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ keys: entry.keys.filter((k) => k.published).map((k) => ({ ...k.publicJwk, kid: k.kid, use: 'sig', alg: 'RS256' })) }));
      case '503':
        return void response.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '30' }).end('Service Unavailable');
      case '500':
        return void response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"unknown_error"}');
      case 'html':
        return void response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body><h1>We are down for maintenance</h1></body></html>');
      case 'not-a-jwks':
        return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"error":"realm not ready"}');
      case 'drop':
        return void request.socket.destroy();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let kids = 0;
  const newKey = (name: string, published: boolean): Key => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { kid: `${name}-key-${++kids}`, privateKey: pair.privateKey, publicJwk: pair.publicKey.export({ format: 'jwk' }), published };
  };

  return {
    origin,
    realm(name) {
      const existing = realms.get(name);
      if (existing) return existing.realm;
      const keys = [newKey(name, true)];
      const entry = {
        keys,
        hits: 0,
        realm: {
          issuer: `${origin}/realms/${name}`,
          jwksMode: 'ok' as JwksMode,
          jwksHits: () => entry.hits,
          kid: keys[0].kid,
          rotate(dropOld: boolean) {
            const key = newKey(name, true);
            if (dropOld) entry.keys.splice(0, entry.keys.length);
            entry.keys.unshift(key);
            entry.realm.kid = key.kid;
          },
          unpublishedKid() {
            const key = newKey(name, false);
            entry.keys.push(key);
            return key.kid;
          },
          async sign(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
            const kid = (header.kid as string | undefined) ?? entry.realm.kid;
            const key = entry.keys.find((k) => k.kid === kid) ?? entry.keys[0];
            return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid, ...header }).sign(key.privateKey);
          },
        },
      };
      realms.set(name, entry);
      return entry.realm;
    },
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
