import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { startTestIdp } from '../support/idp.ts';

// Property: a request that fails inside the server is reported as a structured log record with the error,
// never printed to the console.

describe('a request failing on a broken database', () => {
  it('is logged through pino, by the provider and by the app', async () => {
    const records: Array<{ level: number; msg: string; path?: string; err?: { message: string } }> = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write: (line, _enc, done) => {
          records.push(JSON.parse(String(line)));
          done();
        },
      }),
    );
    const idp = await startTestIdp({ logger });
    const printed = [vi.spyOn(console, 'log'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'error')];
    try {
      await idp.db.knex.schema.renameTable('oidc_payloads', 'oidc_payloads_away');
      await idp.db.knex.schema.renameTable('sandbox_sessions', 'sandbox_sessions_away');
      const auth = await fetch(
        `${idp.issuer}/auth?${new URLSearchParams({ client_id: 'demo-rp', response_type: 'code', scope: 'openid', redirect_uri: `${idp.issuer}/demo/callback`, code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`,
        { redirect: 'manual' },
      );
      const interaction = await fetch(`${idp.issuer}/interaction/some-uid`, { redirect: 'manual' });
      const sandbox = await fetch(`${idp.issuer}/sandbox/gu1/session/some-id`, { redirect: 'manual' });
      expect([auth.status, sandbox.status]).toEqual([500, 500]);
      expect(interaction.status).toBe(400); // the interaction is not found: answered, not an error
      for (const spy of printed) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of printed) spy.mockRestore();
      await idp.db.knex.schema.renameTable('oidc_payloads_away', 'oidc_payloads');
      await idp.db.knex.schema.renameTable('sandbox_sessions_away', 'sandbox_sessions');
      await idp.close();
    }
    expect(records).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: 'provider error',
        path: '/auth',
        err: expect.objectContaining({ message: expect.stringContaining('"oidc_payloads" does not exist') }),
      }),
    );
    expect(records).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: 'request failed',
        path: '/sandbox/gu1/session/some-id',
        err: expect.objectContaining({ message: expect.stringContaining('"sandbox_sessions" does not exist') }),
      }),
    );
  });
});
