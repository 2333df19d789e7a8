/** How many consecutive failures open a vendor's circuit, and for how long it stays open. */
export interface CircuitBreakerOptions {
  threshold?: number;
  cooldownMs?: number;
  now?: () => number;
}

interface Circuit {
  failures: number;
  openUntil: number;
}

/**
 * One circuit per vendor. After `threshold` consecutive "vendor unavailable" failures the vendor is
 * skipped for `cooldownMs`, so a step-up fails over at once instead of waiting for another timeout; after
 * the cool-down one call is tried again, and a single further failure reopens the circuit. Kept per
 * process: each IdP instance learns a vendor's health from its own calls.
 */
export class CircuitBreakers {
  readonly #circuits = new Map<string, Circuit>();
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#threshold = options.threshold ?? 3;
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#now = options.now ?? Date.now;
  }

  /** True while calls to the vendor should not be attempted. */
  isOpen(vendorId: string): boolean {
    return (this.#circuits.get(vendorId)?.openUntil ?? 0) > this.#now();
  }

  /** The vendor answered (even with a refusal): it is up. */
  succeeded(vendorId: string): void {
    this.#circuits.delete(vendorId);
  }

  /** The vendor could not be reached or answered a fault. */
  failed(vendorId: string): void {
    const circuit = this.#circuits.get(vendorId) ?? { failures: 0, openUntil: 0 };
    circuit.failures += 1;
    if (circuit.failures >= this.#threshold) circuit.openUntil = this.#now() + this.#cooldownMs;
    this.#circuits.set(vendorId, circuit);
  }
}
