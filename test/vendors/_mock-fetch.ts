import { MockAgent, fetch as undiciFetch } from 'undici';

/** A MockAgent that refuses real network access, and a fetch that goes through it. */
export function mockFetch(): { agent: MockAgent; fetch: typeof globalThis.fetch } {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const fetchVia = (input: unknown, init?: object) =>
    undiciFetch(input as string, { ...init, dispatcher: agent } as Parameters<typeof undiciFetch>[1]);
  return { agent, fetch: fetchVia as unknown as typeof globalThis.fetch };
}
