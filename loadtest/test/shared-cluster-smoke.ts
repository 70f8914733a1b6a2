// The load generator's smoke run as a suite of the shared end-to-end cluster (import it from
// test/e2e/through-nginx.cluster.test.ts like the files in test/e2e/shared/): it leaves the cluster
// as it found it (it only adds a few users).
import { describe, it } from 'node:test';
import { sharedTestCluster } from '../../test/support/shared-cluster.ts';
import { loadtestSmoke } from './loadtest-smoke.ts';

describe('load generator smoke run through the cluster', () => {
  it('runs the mixed scenario for 3 s at 3 flows/s without an error and writes its report', async () => {
    const cluster = await sharedTestCluster();
    await loadtestSmoke(cluster.lbUrls, (line) => console.log(`loadtest smoke: ${line}`));
  });
});
