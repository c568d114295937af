import type { Command } from 'commander';
import { z } from 'zod';
import { newPassword, registerBody } from '../auth/auth.routes.js';
import { hashPassword } from '../auth/password.hasher.js';
import { CliUsageError, withCli, type CliContext } from '../cli/cli-context.js';
import { repositoriesFor, type Repositories } from '../db/repositories.js';
import type { UserRow } from '../db/schema.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { NotFoundError } from '../errors/domain-errors.js';
import { checkGrantedDocumentRoots } from './user-document-roots.js';
import { deleteUserAsAdmin, resetPasswordAsAdmin, updateUserAsAdmin, type UserChanges } from './user-admin.service.js';
import { createUser } from './user.service.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliUsageError('--password-stdin expects the password on standard input, e.g. `printf %s "$PW" | semantik user create …`');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline (from `echo`) is not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** One unit of work on the user named on the command line (the CLI acts as an administrator). */
async function withNamedUser<T>(ctx: CliContext, username: string, work: (repos: Repositories, user: UserRow) => Promise<T>): Promise<T> {
  const database = await ctx.openDatabase();
  return inUnitOfWork(database, async (tx) => {
    const repos = repositoriesFor(tx);
    const user = await repos.users.findByUsername(username);
    if (!user) throw new NotFoundError(`No user named "${username}" (see \`semantik user list\`)`);
    return work(repos, user);
  });
}

function describeRoots(roots: string[] | null): string {
  return roots === null ? '(not set)' : roots.length === 0 ? '(none)' : roots.join(':');
}

/**
 * `semantik user list | create | disable | enable | delete | reset-password | set-roots`: the same
 * rules as the admin API (src/users/user-admin.service.ts), for whoever can read the server's config.
 */
export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage users (the same rules as the admin API)');
  user
    .command('create')
    .description('create a user (the first user is always a superuser)')
    .requiredOption('--username <username>', 'login name')
    .requiredOption('--email <email>', 'email address')
    .option('--full-name <name>', 'display name')
    .option('--password-stdin', 'read the password from standard input (never from an argument: it would show in ps)')
    .option('--superuser', 'make the user a superuser')
    .option('--document-root <path>', 'a folder inside SEMANTIK_DOCUMENT_ROOTS the user may index (repeatable)', collect)
    .action((opts: { username: string; email: string; fullName?: string; passwordStdin?: boolean; superuser?: boolean; documentRoot?: string[] }) =>
      withCli(async (ctx) => {
        if (!opts.passwordStdin) throw new CliUsageError('pass --password-stdin and pipe the password in');
        const parsed = registerBody.safeParse({ username: opts.username, email: opts.email, password: await readStdin(), full_name: opts.fullName });
        if (!parsed.success) throw new CliUsageError(`invalid user:\n${z.prettifyError(parsed.error)}`);
        const documentRoots = opts.documentRoot ? checkGrantedDocumentRoots(opts.documentRoot, ctx.config) : null;
        const hashedPassword = await hashPassword(parsed.data.password);
        const database = await ctx.openDatabase();
        const created = await inUnitOfWork(database, (tx) =>
          createUser(repositoriesFor(tx), {
            username: parsed.data.username,
            email: parsed.data.email,
            fullName: parsed.data.full_name ?? null,
            hashedPassword,
            superuser: opts.superuser,
            documentRoots,
          }),
        );
        console.log(`created user ${created.username} (id ${created.id}${created.is_superuser ? ', superuser' : ''})`);
      }),
    );

  user
    .command('list')
    .description('every account with its state and document roots')
    .action(() =>
      withCli(async (ctx) => {
        const database = await ctx.openDatabase();
        const rows = await inUnitOfWork(database, (tx) => repositoriesFor(tx).users.list(), { readOnly: true });
        for (const row of rows) {
          const flags = [row.is_superuser ? 'superuser' : 'user', row.is_active ? 'active' : 'disabled'].join(', ');
          console.log(`${row.id}\t${row.username}\t${row.email}\t${flags}\troots: ${row.is_superuser ? '(all: SEMANTIK_DOCUMENT_ROOTS)' : describeRoots(row.document_roots)}`);
        }
      }),
    );

  const change = (name: string, description: string, changes: UserChanges, done: string) =>
    user
      .command(`${name} <username>`)
      .description(description)
      .action((username: string) =>
        withCli(async (ctx) => {
          await withNamedUser(ctx, username, (repos, row) => updateUserAsAdmin(repos, row.id, changes));
          console.log(`${username}: ${done}`);
        }),
      );
  change('disable', 'disable an account: login refused, refresh tokens and API keys revoked', { isActive: false }, 'disabled (sessions and API keys revoked)');
  change('enable', 'enable a disabled account (its old API keys stay revoked)', { isActive: true }, 'enabled');

  user
    .command('delete <username>')
    .description('delete an account that owns no collections')
    .action((username: string) =>
      withCli(async (ctx) => {
        await withNamedUser(ctx, username, (repos, row) => deleteUserAsAdmin(repos, row.id));
        console.log(`deleted user ${username}`);
      }),
    );

  user
    .command('reset-password <username>')
    .description("set a user's password (revokes their refresh tokens)")
    .option('--password-stdin', 'read the new password from standard input')
    .action((username: string, opts: { passwordStdin?: boolean }) =>
      withCli(async (ctx) => {
        if (!opts.passwordStdin) throw new CliUsageError('pass --password-stdin and pipe the new password in');
        const parsed = newPassword.safeParse(await readStdin());
        if (!parsed.success) throw new CliUsageError(`invalid password:\n${z.prettifyError(parsed.error)}`);
        const hashedPassword = await hashPassword(parsed.data);
        await withNamedUser(ctx, username, (repos, row) => resetPasswordAsAdmin(repos, row.id, hashedPassword));
        console.log(`${username}: password reset, sessions signed out`);
      }),
    );

  user
    .command('set-roots <username> [paths...]')
    .description('the folders (inside SEMANTIK_DOCUMENT_ROOTS) a user may index; no paths = none; --unset = back to SEMANTIK_USER_ROOT_TEMPLATE')
    .option('--unset', 'clear the setting (the template applies, if configured)')
    .action((username: string, paths: string[], opts: { unset?: boolean }) =>
      withCli(async (ctx) => {
        if (opts.unset && paths.length > 0) throw new CliUsageError('give either paths or --unset, not both');
        const documentRoots = opts.unset ? null : checkGrantedDocumentRoots(paths, ctx.config);
        const updated = await withNamedUser(ctx, username, (repos, row) => updateUserAsAdmin(repos, row.id, { documentRoots }));
        console.log(`${username}: document roots ${describeRoots(updated.document_roots)}`);
      }),
    );
}
