import type { JobHandlers } from '../operations/job.registry.js';
import { deleteHandler } from './delete.handler.js';
import { indexHandler } from './index.handler.js';
import { reindexHandler } from './reindex.handler.js';
import { removeSourceHandler } from './remove-source.handler.js';
import { syncHandler } from './sync.handler.js';

/** Operation type → handler. `startWorker` checks at start-up that every type has one. */
export const indexingHandlers: JobHandlers = {
  index: indexHandler,
  append: indexHandler,
  reindex: reindexHandler,
  remove_source: removeSourceHandler,
  delete: deleteHandler,
  sync: syncHandler,
};
