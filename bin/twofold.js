#!/usr/bin/env node
// `twofold` command (npx twofold up, npm start): loads the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../deploy/src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
