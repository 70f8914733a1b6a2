// Twofold verification API, web example: a small web application with its OWN users and session that
// uses Twofold as its second factor. Sign in with the application's password (checked here, argon2id),
// then confirm on the Twofold phone app (the page shows the number to tap) or type a code (from an
// authenticator app, or the one Twofold sends to the phone). The browser talks to this server only;
// this server calls Twofold with the application's API key, which never leaves it.
//
// Usage
//   twofold apps add rp-web                       # as an operator: prints the API key once
//   printf '%s' 'tfk_…' > rp-web.key && chmod 600 rp-web.key
//   node --import tsx examples/rp-web/main.ts --add-user alice      # asks alice's password here
//   RP_WEB_API_KEY_FILE=rp-web.key RP_WEB_PORT=8090 node --import tsx examples/rp-web/main.ts
//   # open http://127.0.0.1:8090/ and sign in as alice: the first time, Twofold does not know that
//   # alice here is alice at Twofold, so the page gives a link code, which she enters on her Twofold
//   # account page; then she confirms on her phone or with a code.
//
//   For a quick demo, without a users file:
//   RP_WEB_DEMO_USER=alice RP_WEB_DEMO_PASSWORD='a long password' RP_WEB_API_KEY_FILE=rp-web.key \
//     node --import tsx examples/rp-web/main.ts
//
// Environment
//   RP_WEB_PORT              listens on 127.0.0.1:<port> (default 8090)
//   RP_WEB_TWOFOLD_URL       Twofold's address (default http://127.0.0.1:8080, the one-machine cluster)
//   RP_WEB_TWOFOLD_ACCOUNT_URL  Twofold's account page as users reach it (default RP_WEB_TWOFOLD_URL/account)
//   RP_WEB_API_KEY[_FILE]    the application's API key (required)
//   RP_WEB_USERS_FILE        the application's users, username → argon2id hash (default ./rp-web-users.json)
//   RP_WEB_COOKIE_SECRET[_FILE]  signs the session cookie, 32+ characters (default: random at each start)
//   RP_WEB_APP_NAME          the name on the pages (default rp-web)
//   RP_WEB_PUBLIC_ORIGIN     the origin browsers use when behind a proxy, e.g. https://app.example.com
//   RP_WEB_DEMO_USER, RP_WEB_DEMO_PASSWORD[_FILE]  a user added in memory at start
//   RP_WEB_LOG_LEVEL         default info
// `--add-user NAME` reads the password from the terminal (twice, not echoed) or from stdin's first line,
// adds or replaces the user in RP_WEB_USERS_FILE (mode 600) and exits.
//
// Security notes for an example: the session is a signed cookie (HttpOnly, SameSite=Strict, Secure
// over HTTPS); forms are CSRF-safe through SameSite=Strict plus an Origin check on every POST (a
// bigger application would add per-form tokens); every value in a page is HTML-escaped and a strict
// Content-Security-Policy allows only this server's own script and style; wrong passwords never reach
// Twofold, and password attempts are limited per address.
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import closeWithGrace from 'close-with-grace';
import { TwofoldClient } from '../rp-client.ts';
import { buildRpWeb } from './app.ts';
import { ConfigError, loadConfig, type RpWebConfig, usersFileFrom } from './config.ts';
import { UserError, UserStore } from './users.ts';

async function addUser(name: string): Promise<number> {
  const file = usersFileFrom(process.env);
  const store = await UserStore.load(file);
  const password = process.stdin.isTTY ? await askHidden(`Password for ${name}: `, true) : await firstLine();
  const added = await store.set(name, password);
  await store.save(file);
  console.log(`${added} saved in ${file}`);
  return 0;
}

/** A password typed on the terminal, not echoed; asked twice when `confirm`. */
async function askHidden(question: string, confirm: boolean): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, encoding, done) {
      if (!muted) process.stdout.write(chunk, encoding);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const ask = async (q: string) => {
      process.stdout.write(q);
      muted = true;
      const answer = await rl.question('');
      muted = false;
      process.stdout.write('\n');
      return answer;
    };
    const password = await ask(question);
    if (confirm && (await ask('Again: ')) !== password) throw new UserError('the two passwords differ');
    return password;
  } finally {
    rl.close();
  }
}

async function firstLine(): Promise<string> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  throw new UserError('no password on stdin');
}

async function serve(config: RpWebConfig): Promise<void> {
  const users = await UserStore.load(config.usersFile);
  if (config.demoUser) await users.set(config.demoUser.username, config.demoUser.password);
  if (users.size === 0) {
    throw new ConfigError(
      `no users in ${config.usersFile}: add one with --add-user NAME, or set RP_WEB_DEMO_USER and RP_WEB_DEMO_PASSWORD`,
    );
  }
  const app = await buildRpWeb({
    appName: config.appName,
    twofold: new TwofoldClient({ url: config.twofoldUrl, apiKey: config.apiKey }),
    twofoldAccountUrl: config.twofoldAccountUrl,
    users,
    cookieSecret: config.cookieSecret ?? randomBytes(32).toString('base64url'),
    ...(config.publicOrigin ? { publicOrigin: config.publicOrigin } : {}),
    logger: { level: process.env.RP_WEB_LOG_LEVEL || 'info' },
  });
  if (!config.cookieSecret) app.log.warn('RP_WEB_COOKIE_SECRET not set: sessions end when this process does');
  await app.listen({ host: '127.0.0.1', port: config.port });
  closeWithGrace({ delay: 5_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'stopping after an error');
    else app.log.info(`stopping (${signal})`);
    await app.close();
  });
}

async function main(): Promise<void> {
  let values: { 'add-user'?: string };
  try {
    ({ values } = parseArgs({ options: { 'add-user': { type: 'string' } } }));
  } catch (error) {
    console.error(`rp-web: ${(error as Error).message}\nusage: main.ts [--add-user NAME]`);
    process.exit(2);
  }
  try {
    if (values['add-user'] !== undefined) process.exit(await addUser(values['add-user']));
    await serve(loadConfig(process.env));
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UserError) {
      console.error(`rp-web: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

await main();
