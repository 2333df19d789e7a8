import type { Knex } from 'knex';
import type { AdapterConstructor } from 'oidc-provider';

/**
 * How much database work this process has done: SQL statements sent (BEGIN and COMMIT included) and
 * oidc-provider adapter calls by model and method. Process-wide, as a server process has one database;
 * /metrics and the bench read them to see what a flow costs.
 */
export const databaseWork = {
  statements: 0,
  /** Keyed `<model> <method>`, e.g. `Session find`. */
  adapterCalls: new Map<string, number>(),
};

/** Counts every statement `knex` (and its transactions) sends. */
export function countStatements(knex: Knex): void {
  knex.on('query', () => {
    databaseWork.statements++;
  });
}

const ADAPTER_METHODS = ['upsert', 'find', 'findByUid', 'findByUserCode', 'consume', 'destroy', 'revokeByGrantId'] as const;

/** The adapter class with each of its public methods counted under its model. */
export function countAdapterCalls(Adapter: AdapterConstructor): AdapterConstructor {
  const proto = Adapter.prototype as unknown as Record<string, (this: { model: string }, ...args: unknown[]) => unknown>;
  for (const method of ADAPTER_METHODS) {
    const call = proto[method]!;
    proto[method] = function (this: { model: string }, ...args: unknown[]) {
      const key = `${this.model} ${method}`;
      databaseWork.adapterCalls.set(key, (databaseWork.adapterCalls.get(key) ?? 0) + 1);
      return call.apply(this, args);
    };
  }
  return Adapter;
}
