/** Every migration, in order. A new one is a new file here; never edit an applied one. */
import type { Migration, MigrationProvider } from 'kysely';
import { migration0001 } from './0001-init.js';
import { migration0002 } from './0002-usage-estimated.js';
import { migration0003 } from './0003-ledger.js';
import { migration0004 } from './0004-responses.js';
import { migration0005 } from './0005-catalog.js';
import { migration0006 } from './0006-lineage.js';
import { migration0007 } from './0007-rankings.js';
import { migration0008 } from './0008-governance.js';
import { migration0009 } from './0009-evals.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001-init': migration0001,
  '0002-usage-estimated': migration0002,
  '0003-ledger': migration0003,
  '0004-responses': migration0004,
  '0005-catalog': migration0005,
  '0006-lineage': migration0006,
  '0007-rankings': migration0007,
  '0008-governance': migration0008,
  '0009-evals': migration0009,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
