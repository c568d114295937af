import { type Kysely, sql } from 'kysely';

/**
 * Frozen: collection names are unique per owner, not across the install. A global unique name let any
 * user probe for another user's private collection: creating "payroll" answered 409 exactly when
 * someone else had one (issue 15, item 5). Two users may now both have "notes"; one user still cannot
 * have two collections of the same name. Existing installs had globally unique names, so the new index
 * always builds.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX collections_name_key`.execute(db);
  await sql`CREATE UNIQUE INDEX collections_owner_name_key ON collections (owner_id, name)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX collections_owner_name_key`.execute(db);
  await sql`CREATE UNIQUE INDEX collections_name_key ON collections (name)`.execute(db);
}
