import type { Knex } from 'knex';
import type { Adapter } from 'oidc-provider';

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

/** Counts each public method call of an adapter instance under its model (called by its constructor). */
export function countAdapterCalls(adapter: Adapter & { model: string }): void {
  const methods = adapter as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of ADAPTER_METHODS) {
    const call = methods[method]!.bind(adapter);
    const key = `${adapter.model} ${method}`;
    methods[method] = (...args: unknown[]) => {
      databaseWork.adapterCalls.set(key, (databaseWork.adapterCalls.get(key) ?? 0) + 1);
      return call(...args);
    };
  }
}
