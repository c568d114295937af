import { CompiledQuery, type DatabaseConnection, type TransactionSettings } from 'kysely';

/**
 * BEGIN / COMMIT / ROLLBACK for both drivers. The statement text comes only from Kysely's
 * enumerated isolation levels and access modes, never from user input.
 */
export abstract class TransactionControl {
  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const parts = ['start transaction'];
    if (settings.isolationLevel) parts.push(`isolation level ${settings.isolationLevel}`);
    if (settings.accessMode) parts.push(settings.accessMode);
    await connection.executeQuery(CompiledQuery.raw(parts.join(' ')));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
}
