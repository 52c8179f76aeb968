import type { Knex } from 'knex';
import * as documents from './001_documents';
import * as outbox from './002_outbox';
import * as searchFolding from './010_search_folding';
import * as searchPages from './011_search_pages';
import * as searchCandidates from './012_search_candidates';
import * as searchMatchCost from './013_search_match_cost';
import * as searchMatchCostToasted from './014_search_match_cost_toasted';
import * as searchWordsUserTrigram from './015_search_words_user_trigram';
import * as ocrLanguages from './020_ocr_languages';
import * as ocrJobs from './021_ocr_jobs';
import * as documentSources from './030_document_sources';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Every migration, in order; imported so the compiled service needs no migration directory. */
const MIGRATIONS: Record<string, Migration> = {
  '001_documents': documents,
  '002_outbox': outbox,
  '010_search_folding': searchFolding,
  '011_search_pages': searchPages,
  '012_search_candidates': searchCandidates,
  '013_search_match_cost': searchMatchCost,
  '014_search_match_cost_toasted': searchMatchCostToasted,
  '015_search_words_user_trigram': searchWordsUserTrigram,
  '020_ocr_languages': ocrLanguages,
  '021_ocr_jobs': ocrJobs,
  '030_document_sources': documentSources,
};

/** A knex migration source over the imported modules above. */
export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(Object.keys(MIGRATIONS)),
  getMigrationName: (name) => name,
  getMigration: (name) => {
    const migration = MIGRATIONS[name];
    if (!migration) throw new Error(`unknown migration ${name}`);
    return Promise.resolve(migration);
  },
};
