import { BrokenCircuitError, CircuitState, circuitBreaker, ConsecutiveBreaker, handleType, type CircuitBreakerPolicy } from 'cockatiel';
import { VendorUnavailableError } from '../errors.ts';

/** How many consecutive failures open a vendor's circuit, and for how long it stays open. */
export interface CircuitBreakerOptions {
  threshold?: number;
  cooldownMs?: number;
}

/**
 * One cockatiel circuit per vendor. After `threshold` consecutive "vendor unavailable" failures the
 * vendor is not called for `cooldownMs`, so a step-up fails over at once instead of waiting for another
 * timeout; then one trial call goes through, and a failure reopens the circuit. Refusals are answers, not
 * failures. Kept per process: each IdP instance learns a vendor's health from its own calls.
 */
export class CircuitBreakers {
  readonly #circuits = new Map<string, CircuitBreakerPolicy>();
  readonly #threshold: number;
  readonly #cooldownMs: number;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = options.threshold ?? 3;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
  }

  /** Runs a call to the vendor through its circuit; an open circuit throws VendorUnavailableError without calling. */
  async run<T>(vendorId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await this.#circuit(vendorId).execute(call);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new VendorUnavailableError(vendorId, 'circuit open after repeated failures');
      throw error;
    }
  }

  /** True while calls to the vendor would be refused without trying (open, cool-down not over). */
  isOpen(vendorId: string): boolean {
    const circuit = this.#circuits.get(vendorId);
    if (!circuit || circuit.state !== CircuitState.Open) return false;
    const { openedAt } = (circuit.toJSON() as { ownState: { openedAt?: number } }).ownState;
    return Date.now() - (openedAt ?? 0) < this.#cooldownMs;
  }

  #circuit(vendorId: string): CircuitBreakerPolicy {
    let circuit = this.#circuits.get(vendorId);
    if (!circuit) {
      circuit = circuitBreaker(handleType(VendorUnavailableError), {
        halfOpenAfter: this.#cooldownMs,
        breaker: new ConsecutiveBreaker(this.#threshold),
      });
      this.#circuits.set(vendorId, circuit);
    }
    return circuit;
  }
}
