// OpenID Connect example: a small web application with no passwords of its own that signs its users
// in through Twofold's OpenID Connect provider (authorization code flow with PKCE, openid-client).
// See README.md beside this file.
//
// Usage
//   twofold clients add oidc-app --redirect-uri http://localhost:3005/callback \
//     --post-logout-redirect-uri http://localhost:3005/      # as an operator: prints the client id and secret
//   OIDC_APP_ISSUER=http://localhost:9080/oidc OIDC_APP_CLIENT_ID=… OIDC_APP_CLIENT_SECRET_FILE=oidc-app.secret \
//     node --import tsx examples/oidc-app/main.ts
//   # open http://localhost:3005/ and choose "Sign in with Twofold"
//
// Environment (config.ts checks each one and names it when it is wrong)
//   OIDC_APP_ISSUER                     Twofold's issuer, e.g. http://localhost:9080/oidc (required)
//   OIDC_APP_CLIENT_ID                  the client id `twofold clients add` printed (required)
//   OIDC_APP_CLIENT_SECRET[_FILE]       its secret; absent: a public client (token_endpoint_auth_method none)
//   OIDC_APP_TOKEN_AUTH_METHOD          client_secret_basic (default) or client_secret_post
//   OIDC_APP_PORT                       default 3005
//   OIDC_APP_LISTEN_ADDRESS             default 127.0.0.1
//   OIDC_APP_REDIRECT_URI               default http://localhost:<port>/callback (the listen address if not loopback)
//   OIDC_APP_POST_LOGOUT_REDIRECT_URI   default http://localhost:<port>/
//   OIDC_APP_SCOPE                      default "openid profile email offline_access"
//   OIDC_APP_PROMPT                     the prompt parameter, e.g. consent (default: none sent)
//   OIDC_APP_ALLOW_HTTP                 true/false: accept a plain-http issuer (default: when it is loopback)
//   OIDC_APP_NAME                       the name on the pages (default oidc-app)
//   OIDC_APP_LOG_LEVEL                  default info
import closeWithGrace from 'close-with-grace';
import { buildOidcApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DiscoveryError } from './oidc.ts';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`oidc-app: ${error.message}`);
    process.exit(2);
  }
  let app: Awaited<ReturnType<typeof buildOidcApp>>;
  try {
    app = await buildOidcApp({
      issuer: config.issuer,
      clientId: config.clientId,
      ...(config.clientSecret
        ? { clientSecret: config.clientSecret, tokenAuthMethod: config.tokenAuthMethod }
        : {}),
      redirectUri: config.redirectUri,
      postLogoutRedirectUri: config.postLogoutRedirectUri,
      scope: config.scope,
      ...(config.prompt ? { prompt: config.prompt } : {}),
      allowHttp: config.allowHttp,
      appName: config.appName,
      logger: { level: process.env.OIDC_APP_LOG_LEVEL || 'info' },
    });
  } catch (error) {
    if (!(error instanceof DiscoveryError)) throw error;
    console.error(`oidc-app: ${error.message}`);
    process.exit(1);
  }
  await app.listen({ host: config.listenAddress, port: config.port });
  app.log.info(`open ${new URL('/', config.redirectUri).href} (the redirect URI's origin) to sign in`);
  closeWithGrace({ delay: 5_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'stopping after an error');
    else app.log.info(`stopping (${signal})`);
    await app.close();
  });
}

await main();
