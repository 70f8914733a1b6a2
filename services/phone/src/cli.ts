// `twofold phone pair|code|listen`: the CLI phone. deploy/src/cli.ts hands it the arguments after
// `phone`; also runnable directly: node --import tsx services/phone/src/cli.ts code --state FILE
import { pathToFileURL } from 'node:url';
import {
  PHONE_SYNOPSIS,
  PHONE_USAGE,
  type PhoneCommand,
  PhoneUsageError,
  parsePhoneArgs,
} from './cli-args.ts';
import { listen } from './listen.ts';
import { type Account, Phone } from './phone.ts';

export async function runPhoneCommand(args: string[]): Promise<number> {
  let command: PhoneCommand;
  try {
    command = parsePhoneArgs(args);
  } catch (error) {
    if (!(error instanceof PhoneUsageError)) throw error;
    console.error(`twofold phone: ${error.message}\n\n${PHONE_SYNOPSIS}`);
    return 2;
  }
  try {
    switch (command.command) {
      case 'help':
        console.log(PHONE_USAGE);
        return 0;
      case 'pair':
        return await pair(command);
      case 'code':
        return await printCodes(command.statePath);
      case 'listen':
        return await listen(
          await Phone.load(command.statePath, { fetchTimeoutMs: command.timeoutMs }),
          command.mode,
          command.once,
        );
    }
  } catch (error) {
    console.error(`twofold phone ${command.command}: ${(error as Error).message}`);
    return 1;
  }
}

async function pair(command: Extract<PhoneCommand, { command: 'pair' }>): Promise<number> {
  const phone = await Phone.pair(command.link, {
    statePath: command.statePath,
    fetchTimeoutMs: command.timeoutMs,
    overwrite: command.force,
    ...(command.name === undefined ? {} : { name: command.name }),
    ...(command.server === undefined ? {} : { server: command.server }),
  });
  const account = phone.pairing?.account;
  console.log(
    `paired: device ${phone.deviceId} ("${phone.name}") for ${account?.username} at ${account?.issuer}`,
  );
  const received = command.waitMs > 0 ? await receiveAccount(phone, command.waitMs) : undefined;
  if (received) {
    console.log(
      `account ${received.username} (${received.issuer}) received: \`twofold phone code\` shows its codes`,
    );
  } else {
    console.log('the account secret has not arrived yet: `twofold phone listen` receives it');
  }
  return 0;
}

/** The server pushes the account (with its TOTP secret) right after pairing: wait for it a while. */
async function receiveAccount(phone: Phone, waitMs: number): Promise<Account | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const account = new Promise<Account | undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), waitMs);
    phone.once('account', resolve);
    phone.connect().catch(() => resolve(undefined));
  });
  try {
    return await account;
  } finally {
    clearTimeout(timer);
    await phone.close();
  }
}

async function printCodes(statePath: string): Promise<number> {
  const phone = await Phone.load(statePath);
  const codes = await phone.codes();
  if (codes.length === 0) {
    console.error('no account yet: `twofold phone listen` receives it from the server');
    return 1;
  }
  for (const { issuer, username, code, secondsLeft } of codes) {
    console.log(`${issuer}:${username} ${code} (${secondsLeft} s)`);
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runPhoneCommand(process.argv.slice(2));
}
