import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  INITIAL_STATE,
  TRANSITIONS,
  VERIFICATION_STATES,
  canTransition,
  isEntered,
  isTerminal,
  sourcesOf,
  type VerificationState,
} from '../../src/verification/state.ts';

const OPEN = ['pending', 'in_progress'];
const TERMINAL = ['approved', 'rejected', 'expired', 'cancelled', 'abandoned', 'failed'];

// The rule of vendors.md §6.1, written out independently of the table: pending may become anything
// else, in_progress any terminal state, and a terminal state nothing.
function allowed(from: VerificationState, to: VerificationState): boolean {
  if (from === 'pending') return to !== 'pending';
  if (from === 'in_progress') return TERMINAL.includes(to);
  return false;
}

const pairs = VERIFICATION_STATES.flatMap((from) => VERIFICATION_STATES.map((to) => [from, to] as const));

describe('the verification state machine', () => {
  it('has two open states and six terminal ones, and starts open', () => {
    expect(VERIFICATION_STATES.filter((s) => !isTerminal(s))).toEqual(OPEN);
    expect(VERIFICATION_STATES.filter(isTerminal)).toEqual(TERMINAL);
    expect(isTerminal(INITIAL_STATE)).toBe(false);
  });

  it.each(pairs.filter(([from, to]) => allowed(from, to)))('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(sourcesOf(to)).toContain(from);
  });

  it.each(pairs.filter(([from, to]) => !allowed(from, to)))('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(sourcesOf(to)).not.toContain(from);
  });

  it('enters every state but the initial one', () => {
    expect(VERIFICATION_STATES.filter(isEntered)).toEqual(VERIFICATION_STATES.filter((s) => s !== INITIAL_STATE));
  });
});

describe("the README's state diagram", () => {
  // The mermaid stateDiagram-v2 block of the Architecture section, as edges `from --> to` ([*] is start or end).
  function diagramEdges(): string[] {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /```mermaid\n(stateDiagram-v2\n[\s\S]*?)```/.exec(readme)?.[1];
    if (!block) throw new Error('README.md has no mermaid stateDiagram-v2 block');
    return [...block.matchAll(/^\s*(\[\*\]|\w+)\s*-->\s*(\[\*\]|\w+)\s*$/gm)].map((m) => `${m[1]} --> ${m[2]}`);
  }

  it('draws exactly the transition table, the initial state and the terminal states', () => {
    const table = [
      `[*] --> ${INITIAL_STATE}`,
      ...Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from} --> ${to}`)),
      ...VERIFICATION_STATES.filter(isTerminal).map((s) => `${s} --> [*]`),
    ];
    expect(diagramEdges().sort()).toEqual(table.sort());
  });
});
