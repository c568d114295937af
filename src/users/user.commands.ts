import type { Command } from 'commander';
import { z } from 'zod';
import { registerBody } from '../auth/auth.routes.js';
import { hashPassword } from '../auth/password.hasher.js';
import { CliUsageError, withCli } from '../cli/cli-context.js';
import { repositoriesFor } from '../db/repositories.js';
import { inUnitOfWork } from '../db/unit-of-work.js';
import { createUser } from './user.service.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliUsageError('--password-stdin expects the password on standard input, e.g. `printf %s "$PW" | semantik user create …`');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline (from `echo`) is not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** `semantik user create --username U --email E --password-stdin [--superuser]`. */
export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage users');
  user
    .command('create')
    .description('create a user (the first user is always a superuser)')
    .requiredOption('--username <username>', 'login name')
    .requiredOption('--email <email>', 'email address')
    .option('--full-name <name>', 'display name')
    .option('--password-stdin', 'read the password from standard input (never from an argument: it would show in ps)')
    .option('--superuser', 'make the user a superuser')
    .action((opts: { username: string; email: string; fullName?: string; passwordStdin?: boolean; superuser?: boolean }) =>
      withCli(async (ctx) => {
        if (!opts.passwordStdin) throw new CliUsageError('pass --password-stdin and pipe the password in');
        const parsed = registerBody.safeParse({ username: opts.username, email: opts.email, password: await readStdin(), full_name: opts.fullName });
        if (!parsed.success) throw new CliUsageError(`invalid user:\n${z.prettifyError(parsed.error)}`);
        const hashedPassword = await hashPassword(parsed.data.password);
        const database = await ctx.openDatabase();
        const created = await inUnitOfWork(database, (tx) =>
          createUser(repositoriesFor(tx), {
            username: parsed.data.username,
            email: parsed.data.email,
            fullName: parsed.data.full_name ?? null,
            hashedPassword,
            superuser: opts.superuser,
          }),
        );
        console.log(`created user ${created.username} (id ${created.id}${created.is_superuser ? ', superuser' : ''})`);
      }),
    );
}
