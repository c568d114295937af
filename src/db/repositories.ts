import { ApiKeyRepository } from '../api-keys/api-key.repository.js';
import { ChunkRepository } from '../chunks/chunk.repository.js';
import { CollectionAuditLogRepository } from '../collections/collection-audit-log.repository.js';
import { CollectionPermissionRepository } from '../collections/collection-permission.repository.js';
import { CollectionResourceLimitRepository } from '../collections/collection-resource-limit.repository.js';
import { CollectionSourceRepository } from '../collections/collection-source.repository.js';
import { CollectionRepository } from '../collections/collection.repository.js';
import { DocumentRepository } from '../documents/document.repository.js';
import { OperationMetricRepository } from '../operations/operation-metric.repository.js';
import { OperationRepository } from '../operations/operation.repository.js';
import { SystemRepository } from '../system/system.repository.js';
import { RefreshTokenRepository } from '../users/refresh-token.repository.js';
import { UserRepository } from '../users/user.repository.js';
import type { Tx } from './unit-of-work.js';

/** Every repository over one transaction. Cheap to build: constructors only keep the transaction. */
export function repositoriesFor(tx: Tx) {
  return {
    users: new UserRepository(tx),
    refreshTokens: new RefreshTokenRepository(tx),
    apiKeys: new ApiKeyRepository(tx),
    collections: new CollectionRepository(tx),
    sources: new CollectionSourceRepository(tx),
    permissions: new CollectionPermissionRepository(tx),
    resourceLimits: new CollectionResourceLimitRepository(tx),
    auditLog: new CollectionAuditLogRepository(tx),
    operations: new OperationRepository(tx),
    operationMetrics: new OperationMetricRepository(tx),
    documents: new DocumentRepository(tx),
    chunks: new ChunkRepository(tx),
    system: new SystemRepository(tx),
  };
}

export type Repositories = ReturnType<typeof repositoriesFor>;
