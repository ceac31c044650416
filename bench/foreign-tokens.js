// SPEC §13: the guard with EdDSA access tokens (verified-token cache) and with a trusted
// issuer's RS256 tokens (keys from its JWKS, served here by a small local issuer), each
// measured alternately against the unguarded route of the same demo.
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { login, measure, median, ROUNDS, startDemo } from './support.js';

async function startJwksIssuer() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'bench-issuer', alg: 'RS256', use: 'sig' };
  let issuer = '';
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    if (request.url === '/.well-known/openid-configuration') return response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json` }));
    if (request.url === '/jwks.json') return response.end(JSON.stringify({ keys: [jwk] }));
    response.statusCode = 404;
    response.end('{}');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${server.address().port}`;
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'RS256', kid: 'bench-issuer', typ: 'at+jwt' })}.${b64({ iss: issuer, aud: 'bench-api', sub: 'bench-job', roles: ['reader'], iat: now, exp: now + 3600 })}`;
  const token = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
  return { issuer, token, close: () => server.close() };
}

export async function runForeignTokens() {
  const jwksIssuer = await startJwksIssuer();
  const dir = mkdtempSync(join(tmpdir(), 'fabric-bench-eddsa-'));
  const demo = await startDemo(dir, {
    FABRIC_AUTH__SIGNING__ALGORITHM: 'EdDSA',
    FABRIC_AUTH__ISSUER: 'https://bench.example.test',
    FABRIC_AUTH__TRUSTED_ISSUERS: JSON.stringify([
      { issuer: jwksIssuer.issuer, audience: 'bench-api', algorithms: ['RS256'], roles_claim: 'roles', role_mapping: { reader: ['viewer'] } },
    ]),
  });
  try {
    const { token } = await login(demo.base, false);
    const routes = [
      { name: 'unguarded', url: `${demo.base}/api/v1/demo/bench/unguarded`, headers: {} },
      { name: 'FabricGuard, Bearer JWT (EdDSA)', url: `${demo.base}/api/v1/demo/bench/guarded`, headers: { authorization: `Bearer ${token}` } },
      { name: 'FabricGuard, trusted issuer (RS256 via its JWKS)', url: `${demo.base}/api/v1/demo/bench/guarded`, headers: { authorization: `Bearer ${jwksIssuer.token}` } },
    ];
    for (const route of routes) await measure(route.url, route.headers);
    const samples = routes.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, route] of routes.entries()) samples[i].push(await measure(route.url, route.headers));
      process.stderr.write(`foreign tokens round ${round + 1}/${ROUNDS}: ${samples.map((s) => Math.round(s.at(-1))).join(' / ')} req/s\n`);
    }
    console.log('\nAsymmetric and foreign tokens (SPEC §13; targets: EdDSA ≥ 0.90×, trusted issuer ≥ 0.85× unguarded)\n');
    console.log('| route | median req/s | median ratio to unguarded |');
    console.log('|---|---|---|');
    for (const [i, route] of routes.entries()) {
      const ratio = median(samples[i].map((value, round) => value / samples[0][round]));
      console.log(`| ${route.name} | ${Math.round(median(samples[i]))} | ${ratio.toFixed(3)} |`);
    }
  } finally {
    demo.child.kill('SIGTERM');
    jwksIssuer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runForeignTokens();
