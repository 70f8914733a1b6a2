// Everything a person or a protected application does through the load balancers, on one shared cluster:
// each suite in ./shared leaves the cluster as it found it (push-login, last, kills a push replica
// and the Redis master and restarts them).
import { after } from 'node:test';
import { destroySharedTestCluster } from '../support/shared-cluster.ts';
import './shared/login-through-nginx.ts';
import './shared/browser.ts';
import './shared/email-login.ts';
import './shared/phone-pwa.ts';
import './shared/forward-auth.ts';
import './shared/ops-dashboard.ts';
import './shared/webauthn.ts';
import '../../loadtest/test/shared-cluster-smoke.ts';
import './shared/oidc.ts';
import './shared/push-login.ts';

after(destroySharedTestCluster);
