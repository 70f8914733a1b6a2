// Runs the smoke check against an already running cluster: node --import tsx loadtest/test/smoke-against-running.ts URL,URL
import { loadtestSmoke } from './loadtest-smoke.ts';

const lbs = (process.argv[2] ?? 'http://127.0.0.1:8080,http://127.0.0.1:8081').split(',');
await loadtestSmoke(lbs, (line) => console.log(line));
console.log('loadtest smoke: ok');
