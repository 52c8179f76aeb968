import type { Knex } from 'knex';
import type { Logger } from '@readur/logger';
import type { Storage } from '@readur/storage';

/** What the document use cases work with; each names only what it needs from here. */
export interface DocumentDeps {
  knex: Knex;
  storage: Storage;
  logger: Logger;
}
