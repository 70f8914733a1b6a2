// `twofold apps add|list|set|rotate-key|remove|link|unlink`: the applications behind forward auth
// (nginx auth_request) and the verification API: their hosts, policy, who may use them, API keys,
// and which users they may ask about.

import { linkApplication, unlinkApplication } from '../../../services/auth/src/admin/application-links.ts';
import {
  type ApplicationInput,
  addApplication,
  checkInput,
  checkName,
  InvalidInputError,
  removeApplication,
  rotateApplicationKey,
  updateApplication,
} from '../../../services/auth/src/admin/applications.ts';
import {
  ApplicationExistsError,
  type ApplicationRow,
  ApplicationsRepository,
  HostTakenError,
} from '../../../services/auth/src/repositories/applications.ts';
import { type Command, clusterOptions, type OptionValues, targetOptionsHelp, UsageError } from './command.ts';
import { listOption, withDatabase } from './users.ts';

const USAGE = `usage: twofold apps add <name> [--host H]... [--policy one_factor|two_factor] [--allow-user U]... [--allow-group G]...
       twofold apps list [--json]
       twofold apps set <name> [--host H]... [--policy P] [--allow-user U]... [--allow-group G]...
       twofold apps rotate-key <name>
       twofold apps remove <name>
       twofold apps link <name> <user> <username at the application>
       twofold apps unlink <name> <user>`;

const KEY_NOTICE = 'This key is not shown again: store it now (rotate-key makes a new one).';

/** The option lists as given; an empty value (--allow-user '') stands for an empty list. */
function inputOf(values: OptionValues): ApplicationInput {
  const list = (name: string) => listOption(values, name)?.filter((item) => item !== '');
  const input: ApplicationInput = {};
  // --redirect-host: the name for it (the hosts are also where a login may send the browser back).
  const given = [list('host'), list('redirect-host')].filter((items) => items !== undefined);
  const hosts = given.length > 0 ? given.flat() : undefined;
  const allowUsers = list('allow-user');
  const allowGroups = list('allow-group');
  if (hosts) input.hosts = hosts;
  if (typeof values.policy === 'string') input.policy = values.policy;
  if (allowUsers) input.allowUsers = allowUsers;
  if (allowGroups) input.allowGroups = allowGroups;
  return input;
}

const WIDTHS = [20, 36, 12, 24, 24];
const HEADER = ['NAME', 'HOSTS', 'POLICY', 'USERS', 'GROUPS', 'CREATED'];

function row(cells: string[]): string {
  return cells.map((cell, i) => cell.padEnd(WIDTHS[i] ?? 0)).join(' ');
}

/** One line of `list`; never the API key. */
function summary(app: ApplicationRow): string {
  const list = (items: string[], none: string) => (items.length > 0 ? items.join(',') : none);
  const everyone = app.allowedUsers.length === 0 && app.allowedGroups.length === 0;
  return row([
    app.name,
    list(app.hosts, '-'),
    app.policy,
    list(app.allowedUsers, everyone ? '(everyone)' : '-'),
    list(app.allowedGroups, '-'),
    app.createdAt.toISOString(),
  ]);
}

async function run(values: OptionValues, action: string, name: string | undefined): Promise<number> {
  const input = inputOf(values);
  if (name !== undefined) checkName(name);
  checkInput(input);
  return withDatabase(values, 'twofold-apps', async (db) => {
    const repo = new ApplicationsRepository(db);
    switch (action) {
      case 'list': {
        const apps = await repo.list();
        if (values.json) console.log(JSON.stringify(apps));
        else if (apps.length === 0) console.log('no application registered');
        else {
          console.log(row(HEADER));
          for (const app of apps) console.log(summary(app));
        }
        return 0;
      }
      case 'add': {
        const { application, apiKey } = await addApplication(repo, name as string, input);
        console.log(summary(application));
        console.log(`api key: ${apiKey}`);
        console.log(KEY_NOTICE);
        return 0;
      }
      case 'set': {
        const application = await updateApplication(repo, name as string, input);
        if (!application) return missing(name as string);
        console.log(summary(application));
        return 0;
      }
      case 'rotate-key': {
        const apiKey = await rotateApplicationKey(repo, name as string);
        if (!apiKey) return missing(name as string);
        console.log(`api key: ${apiKey}`);
        console.log(`${KEY_NOTICE} The previous key no longer works.`);
        return 0;
      }
      default: {
        if (!(await removeApplication(repo, name as string))) return missing(name as string);
        console.log(`removed ${name}`);
        return 0;
      }
    }
  });
}

/** The operator vouches for both sides of a link (users do it with a code from the application). */
async function runLink(values: OptionValues, [action, name, user, appUsername]: string[]): Promise<number> {
  return withDatabase(values, 'twofold-apps', async (db) => {
    try {
      if (action === 'link') {
        const linked = await linkApplication(db, name as string, user as string, appUsername as string);
        console.log(`linked ${user} to ${linked.application} as ${linked.appUsername}`);
        return 0;
      }
      if (await unlinkApplication(db, name as string, user as string)) {
        console.log(`unlinked ${user} from ${name}`);
        return 0;
      }
      console.error(`twofold apps: ${user} has not linked ${name}`);
      return 1;
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      console.error(`twofold apps: ${error.message}`);
      return 1;
    }
  });
}

function missing(name: string): number {
  console.error(`twofold apps: no application named ${name}`);
  return 1;
}

export const appsCommand: Command = {
  name: 'apps',
  summary: 'register applications behind forward auth: hosts, policy, who may use them, API key',
  help: `Usage: ${USAGE.slice('usage: '.length)}

Names and groups: 1 to 32 characters of a-z, 0-9, "-" and "_". A host is a name without port
(punycode for IDN), one application each. Policy two_factor (the default) or one_factor (the
password alone). No --allow-user and no --allow-group: every user; otherwise the users named
(usernames) and the members of the groups named (\`twofold users groups\`). \`set\` replaces each list
it is given (an empty value, --allow-user '', empties it) and keeps the others. Replicas see a change
within 5 seconds. A host that is no application gets the default: two_factor, any user.
\`link\` lets the application ask the verification API about <user> by its own name for them (users
link on their account page with a code the application gives them); \`unlink\` ends that.

${targetOptionsHelp}
  --database-url URL  use this database instead of the running cluster's
  --host H            a host name of the application (repeatable; also --redirect-host): its
                      forward-auth rules, and where a login may send the browser back to
  --policy P          one_factor or two_factor
  --allow-user U      a user who may use it (repeatable)
  --allow-group G     a group whose members may use it (repeatable)
  --json              list as JSON`,
  options: {
    ...clusterOptions,
    'database-url': { type: 'string' },
    host: { type: 'string', multiple: true },
    'redirect-host': { type: 'string', multiple: true },
    policy: { type: 'string' },
    'allow-user': { type: 'string', multiple: true },
    'allow-group': { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  positionals: true,

  async run(values, positionals) {
    const [action, name] = positionals;
    if (action === 'link' || action === 'unlink') {
      const wanted = action === 'link' ? 4 : 3;
      if (positionals.length !== wanted || Object.keys(inputOf(values)).length > 0)
        throw new UsageError(USAGE);
      return runLink(values, positionals);
    }
    const named = ['add', 'set', 'rotate-key', 'remove'].includes(action ?? '');
    const changes = ['add', 'set'].includes(action ?? '');
    const given = Object.keys(inputOf(values)).length > 0;
    if (
      !(action === 'list' && positionals.length === 1 && !given) &&
      !(named && name !== undefined && positionals.length === 2 && (changes || !given))
    ) {
      throw new UsageError(USAGE);
    }
    try {
      return await run(values, action as string, name);
    } catch (error) {
      if (error instanceof InvalidInputError) throw new UsageError(error.message);
      if (error instanceof ApplicationExistsError)
        throw new Error(`an application named ${name} exists already`);
      if (error instanceof HostTakenError) throw new Error('a host given belongs to another application');
      throw error;
    }
  },
};
