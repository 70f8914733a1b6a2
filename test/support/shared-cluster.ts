// One default cluster for the suites of a test file that leave it as they found it: starting one
// costs about 40 s, so suites that need nothing special share it instead of each starting their own.
import { startTestCluster, type TestCluster } from './cluster.ts';

let starting: Promise<TestCluster> | undefined;

/** The file's shared cluster, started by the first suite that asks. */
export function sharedTestCluster(): Promise<TestCluster> {
  starting ??= startTestCluster();
  return starting;
}

/** Stops the shared cluster, if a suite started it; for the test file's root `after`. */
export async function destroySharedTestCluster(): Promise<void> {
  const cluster = await starting?.catch(() => undefined);
  starting = undefined;
  await cluster?.destroy();
}
