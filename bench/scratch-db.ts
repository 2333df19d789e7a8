import knexFactory from 'knex';

/** Scratch databases created for one bench run, by name, and how to drop them all. */
export interface ScratchDatabases {
  urls: Record<string, string>;
  drop(): Promise<void>;
}

/** Creates one database per name through `adminUrl` (a superuser connection); `drop` removes them, connections and all. */
export async function createScratchDatabases(adminUrl: string, names: string[]): Promise<ScratchDatabases> {
  const admin = knexFactory({ client: 'pg', connection: adminUrl, pool: { min: 0, max: 1 } });
  const stamp = Date.now();
  const created: string[] = [];
  const urls: Record<string, string> = {};
  const drop = async () => {
    for (const db of created) await admin.raw('drop database if exists ?? with (force)', [db]);
    await admin.destroy();
  };
  try {
    for (const name of names) {
      const db = `stepup_bench_${stamp}_${name}`;
      await admin.raw('create database ??', [db]);
      created.push(db);
      const url = new URL(adminUrl);
      url.pathname = `/${db}`;
      urls[name] = url.href;
    }
  } catch (error) {
    await drop();
    throw error;
  }
  console.log(`scratch databases: ${created.join(', ')}`);
  return { urls, drop };
}
