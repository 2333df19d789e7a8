import { MockAgent, fetch as undiciFetch } from 'undici';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { VendorRefusedError, VendorUnavailableError } from '../../src/errors.ts';
import type { VendorAdapter } from '../../src/vendors/types.ts';

/** A MockAgent that refuses real network access, and a fetch that goes through it. */
export function mockFetch(): { agent: MockAgent; fetch: typeof globalThis.fetch } {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const fetchVia = (input: unknown, init?: object) =>
    undiciFetch(input as string, { ...init, dispatcher: agent } as Parameters<typeof undiciFetch>[1]);
  return { agent, fetch: fetchVia as unknown as typeof globalThis.fetch };
}

/** What each test of an adapter over a mocked network works with; read it inside tests and hooks only. */
export interface MockedNetwork<C> {
  /** This test's MockAgent: every interceptor set on it must be used by the end of the test. */
  readonly agent: MockAgent;
  /** The adapter `create` made without a config override, over this test's MockAgent. */
  readonly adapter: VendorAdapter;
  /** Another adapter over this test's MockAgent, with `config` as `create` takes it. */
  make(config?: C): VendorAdapter;
}

/**
 * Before each test of the enclosing describe: a fresh MockAgent and `create`'s adapter over it. After each:
 * real timers again, no interceptor left unused, the agent closed.
 */
export function overMockedNetwork<C>(create: (fetch: typeof globalThis.fetch, config?: C) => VendorAdapter): MockedNetwork<C> {
  let current: { agent: MockAgent; fetch: typeof globalThis.fetch; adapter: VendorAdapter } | undefined;
  const now = () => current ?? fail('the mocked network exists only inside a test');
  beforeEach(() => {
    const { agent, fetch } = mockFetch();
    current = { agent, fetch, adapter: create(fetch) };
  });
  afterEach(async () => {
    vi.useRealTimers();
    const { agent } = now();
    current = undefined;
    agent.assertNoPendingInterceptors();
    await agent.close();
  });
  return {
    get agent() {
      return now().agent;
    },
    get adapter() {
      return now().adapter;
    },
    make: (config) => create(now().fetch, config),
  };
}

function fail(message: string): never {
  throw new Error(message);
}

/** Awaits a call that must fail as a vendor refusal (with `vendorCode`, when given) and returns the error. */
export async function refused(promise: Promise<unknown>, vendorCode?: string): Promise<VendorRefusedError> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(VendorRefusedError);
  if (vendorCode !== undefined) expect((err as VendorRefusedError).details.vendorCode).toBe(vendorCode);
  return err as VendorRefusedError;
}

/** Awaits a call that must fail as the vendor being unavailable (never an approval) and returns the error. */
export async function unavailable(promise: Promise<unknown>): Promise<VendorUnavailableError> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(VendorUnavailableError);
  return err as VendorUnavailableError;
}
