import { sql } from 'kysely';
import type { Tx } from '../db/unit-of-work.js';
import type { NewUser, UserRow, UserUpdate } from '../db/schema.js';
import { NotFoundError } from '../errors/domain-errors.js';

export class UserRepository {
  constructor(private readonly tx: Tx) {}

  findById(id: number): Promise<UserRow | undefined> {
    return this.tx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * The user plus whether the login session `sessionId` is alive (a row of it neither revoked nor
   * expired): one round trip for every request that carries an access token.
   */
  findByIdWithSession(id: number, sessionId: string): Promise<(UserRow & { session_alive: boolean }) | undefined> {
    return this.tx
      .selectFrom('users')
      .selectAll('users')
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('refresh_tokens')
              .select(sql`1`.as('one'))
              .where('refresh_tokens.session_id', '=', sessionId)
              .whereRef('refresh_tokens.user_id', '=', 'users.id')
              .where('refresh_tokens.is_revoked', '=', false)
              .where('refresh_tokens.expires_at', '>', sql<Date>`now()`),
          )
          .$castTo<boolean>()
          .as('session_alive'),
      )
      .where('users.id', '=', id)
      .executeTakeFirst();
  }

  async getById(id: number): Promise<UserRow> {
    const user = await this.findById(id);
    if (!user) throw new NotFoundError(`User ${id} not found`);
    return user;
  }

  /** Usernames and emails are unique case-insensitively (see the migration's lower() indexes). */
  findByUsername(username: string): Promise<UserRow | undefined> {
    return this.tx
      .selectFrom('users')
      .selectAll()
      .where(sql`lower(username)`, '=', username.toLowerCase())
      .executeTakeFirst();
  }

  findByUsernameOrEmail(username: string, email: string): Promise<UserRow | undefined> {
    return this.tx
      .selectFrom('users')
      .selectAll()
      .where((eb) =>
        eb.or([eb(sql`lower(username)`, '=', username.toLowerCase()), eb(sql`lower(email)`, '=', email.toLowerCase())]),
      )
      .executeTakeFirst();
  }

  insert(user: NewUser): Promise<UserRow> {
    return this.tx.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
  }

  async update(id: number, changes: UserUpdate): Promise<UserRow> {
    const row = await this.tx
      .updateTable('users')
      .set({ ...changes, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`User ${id} not found`);
    return row;
  }

  async count(): Promise<number> {
    const row = await this.tx.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Serialises "is this the first user?" decisions: the first registered user becomes superuser. */
  async lockRegistration(): Promise<void> {
    await sql`SELECT pg_advisory_xact_lock(hashtext('semantik.user_registration'))`.execute(this.tx);
  }

  list(): Promise<UserRow[]> {
    return this.tx.selectFrom('users').selectAll().orderBy('id').execute();
  }

  /** Active superusers other than `exceptId`: the "last active admin" rule counts these. */
  async countOtherActiveSuperusers(exceptId: number): Promise<number> {
    const row = await this.tx
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('is_superuser', '=', true)
      .where('is_active', '=', true)
      .where('id', '<>', exceptId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Refresh tokens and API keys go with the user (ON DELETE CASCADE); owned collections block it (RESTRICT). */
  async delete(id: number): Promise<boolean> {
    const result = await this.tx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * Grants every non-admin who owns collections but has no configured roots (NULL) exactly the
   * folders those collections index — what migration 20261202T0200 does for an in-place upgrade,
   * applied to users imported from a legacy install (whose rows arrive without roots). Returns the
   * usernames granted.
   */
  async grantOwnedSourceFoldersToUngranted(): Promise<string[]> {
    const { rows } = await sql<{ username: string }>`
      UPDATE users u SET document_roots = owned.paths
      FROM (
        SELECT c.owner_id, array_agg(DISTINCT s.source_path ORDER BY s.source_path) AS paths
        FROM collections c JOIN collection_sources s ON s.collection_id = c.id
        GROUP BY c.owner_id
      ) owned
      WHERE owned.owner_id = u.id AND NOT u.is_superuser AND u.document_roots IS NULL
      RETURNING u.username`.execute(this.tx);
    return rows.map((row) => row.username);
  }
}
