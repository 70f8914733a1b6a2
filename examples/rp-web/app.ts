// The web example as a Fastify app: its own users and session, Twofold as the second factor through
// the verification API, called from this server only (the browser never sees the API key).
import fastifyCookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { type TwofoldClient, TwofoldError, type VerificationMethod } from '../rp-client.ts';
import {
  codePage,
  errorPage,
  homePage,
  linkCodePage,
  linkPage,
  loginPage,
  pushPage,
  STYLE,
  secondFactorPage,
  WAIT_SCRIPT,
} from './pages.ts';
import {
  clearSession,
  readSession,
  SECOND_FACTOR_SECONDS,
  type Session,
  SIGNED_IN_SECONDS,
  secondsFromNow,
  writeSession,
} from './session.ts';
import type { UserStore } from './users.ts';

export interface RpWebOptions {
  appName: string;
  twofold: TwofoldClient;
  users: UserStore;
  cookieSecret: string;
  /** The origin browsers use, when behind a proxy; else the request's own (scheme and Host). */
  publicOrigin?: string;
  logger?: FastifyServerOptions['logger'];
  /** Seconds one browser poll waits for Twofold (one long poll, server-side). Default 15. */
  pollSeconds?: number;
  /** Password attempts per address and minute. Default 20. */
  loginsPerMinute?: number;
  /** Twofold's account page, where users enter link codes (e.g. https://login.example.com/account). */
  twofoldAccountUrl?: string;
}

/** What a page says after a redirect (`?m=<key>`): fixed sentences, never text from the URL. */
const NOTICES = {
  denied: 'The sign-in was refused on your phone.',
  expired: 'No answer came in time. Sign in again.',
  code_rejected: 'That code was not right. Sign in again.',
  not_linked: 'Your account here is not linked to Twofold yet: get a link code, then enter it on Twofold.',
  push_unavailable: 'No phone is paired with your Twofold account: enter a code instead.',
  code_unavailable: 'No authenticator app or phone is set up with your Twofold account.',
  too_many: 'Too many attempts: wait a few minutes, then try again.',
  unavailable: 'Twofold is not answering right now. Try again in a moment.',
  failed: 'Twofold could not confirm you. Sign in again.',
  session: 'Your sign-in took too long or was interrupted. Start again.',
  signed_out: 'You are signed out.',
} as const;
type Notice = keyof typeof NOTICES;

const noticeOf = (query: unknown): string | undefined => {
  const key = (query as { m?: unknown } | undefined)?.m;
  return typeof key === 'string' && Object.hasOwn(NOTICES, key) ? NOTICES[key as Notice] : undefined;
};

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  // Not no-referrer: under it a browser sends `Origin: null` with a form's POST, which the Origin check refuses.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

/** The result of one look at a push verification, for the page's script or the no-script link. */
interface PushStatus {
  state: 'pending' | 'approved' | 'denied' | 'expired' | 'unavailable';
  /** Where the browser goes next; absent while it should keep waiting. */
  next?: string;
}

export async function buildRpWeb(options: RpWebOptions) {
  const { appName, twofold, users } = options;
  const pollSeconds = options.pollSeconds ?? 15;
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 16 * 1024 });

  await app.register(fastifyCookie, { secret: options.cookieSecret });
  await app.register(rateLimit, { global: false });

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 8 * 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  // CSRF: the session cookie is SameSite=Strict (another site's form or script never carries it), and
  // a state-changing request must come from our own origin, which also stops login CSRF (a forged
  // POST /login has no cookie to lose). Browsers send Origin with every POST; a POST without it is
  // refused. Enough for an example; a bigger application would add a per-form token.
  app.addHook('onRequest', async (request, reply) => {
    if (!UNSAFE.has(request.method)) return;
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    const expected = options.publicOrigin ?? `${request.protocol}://${request.host}`;
    if ((typeof site === 'string' && site !== 'same-origin') || !sameOrigin(origin, expected)) {
      request.log.info({ origin, site }, 'cross-site request refused');
      return reply.code(403).type('text/html; charset=utf-8').send(errorPage(appName, 'Request refused.'));
    }
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    // Pages and answers are per user: no cache keeps them.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  const page = (reply: FastifyReply, body: string, status = 200) =>
    reply.code(status).type('text/html; charset=utf-8').send(body);
  const goTo = (reply: FastifyReply, path: string) => reply.redirect(path, 303);
  const backToLogin = (reply: FastifyReply, notice: Notice) => {
    clearSession(reply);
    return goTo(reply, `/login?m=${notice}`);
  };
  const signIn = (reply: FastifyReply, user: string) =>
    writeSession(reply, { stage: 'signed-in', user, exp: secondsFromNow(SIGNED_IN_SECONDS) });

  /** The session of someone between their password and Twofold's answer. */
  const secondFactor = (request: FastifyRequest) => {
    const session = readSession(request);
    return session?.stage === 'second-factor' ? session : undefined;
  };
  const pending = (request: FastifyRequest, method: VerificationMethod) => {
    const session = secondFactor(request);
    return session?.verification?.method === method
      ? { session, verification: session.verification }
      : undefined;
  };

  /** Where a Twofold error sends the user, logged without the key (the client never puts it in one). */
  const noticeForError = (request: FastifyRequest, error: unknown): Notice => {
    if (!(error instanceof TwofoldError)) throw error;
    const level = error.code === 'invalid_api_key' || error.code === 'bad_response' ? 'error' : 'info';
    request.log[level]({ code: error.code, status: error.status }, `Twofold: ${error.message}`);
    switch (error.code) {
      case 'user_not_linked':
        return 'not_linked';
      case 'push_unavailable':
        return 'push_unavailable';
      case 'code_unavailable':
        return 'code_unavailable';
      case 'too_many_attempts':
      case 'rate_limited':
        return 'too_many';
      case 'not_found':
        return 'expired';
      case 'unavailable':
      case 'aborted':
        return 'unavailable';
      default:
        return 'failed';
    }
  };

  app.get('/static/style.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLE),
  );
  app.get('/static/wait.js', async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(WAIT_SCRIPT),
  );
  app.get('/healthz', async () => ({ ok: true }));

  app.get('/', async (request, reply) => {
    const session = readSession(request);
    if (session?.stage !== 'signed-in') return goTo(reply, '/login');
    return page(reply, homePage(appName, session.user));
  });

  app.get('/login', async (request, reply) => {
    if (readSession(request)?.stage === 'signed-in') return goTo(reply, '/');
    return page(reply, loginPage(appName, noticeOf(request.query)));
  });

  app.post(
    '/login',
    { config: { rateLimit: { max: options.loginsPerMinute ?? 20, timeWindow: 60_000 } } },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const username = typeof body.username === 'string' ? body.username.slice(0, 64) : '';
      const password = typeof body.password === 'string' ? body.password : '';
      // Checked here, against our own users: a wrong password never reaches Twofold.
      const user = await users.check(username, password);
      if (!user) return page(reply, loginPage(appName, 'Wrong username or password.', username), 401);
      writeSession(reply, { stage: 'second-factor', user, exp: secondsFromNow(SECOND_FACTOR_SECONDS) });
      return goTo(reply, '/login/second');
    },
  );

  app.get('/login/second', async (request, reply) => {
    const session = secondFactor(request);
    if (!session) return backToLogin(reply, 'session');
    return page(reply, secondFactorPage(appName, session.user, noticeOf(request.query)));
  });

  /** Starts a verification of the session's user; the session remembers it. */
  const start = async (request: FastifyRequest, reply: FastifyReply, method: VerificationMethod) => {
    const session = secondFactor(request);
    if (!session) return backToLogin(reply, 'session');
    let started: Awaited<ReturnType<TwofoldClient['createVerification']>>;
    try {
      started = await twofold.createVerification(session.user, method);
    } catch (error) {
      const notice = noticeForError(request, error);
      // The other method, or a moment later, may still work: the password need not be typed again.
      if (notice === 'push_unavailable' || notice === 'code_unavailable' || notice === 'unavailable') {
        return goTo(reply, `/login/second?m=${notice}`);
      }
      // Nobody has linked this user at Twofold yet: the user may link their Twofold account first.
      if (notice === 'not_linked') {
        writeSession(reply, { stage: 'second-factor', user: session.user, exp: session.exp, unlinked: true });
        return goTo(reply, '/link');
      }
      return backToLogin(reply, notice);
    }
    const verification = {
      id: started.id,
      method,
      ...(started.number === undefined ? {} : { number: started.number }),
    };
    // Twofold found the user linked: no more link codes without confirming with it first.
    const { unlinked: _, ...rest } = session;
    writeSession(reply, { ...rest, verification });
    return goTo(reply, method === 'push' ? '/login/push' : '/login/code');
  };
  app.post('/login/push', (request, reply) => start(request, reply, 'push'));
  app.post('/login/code', (request, reply) => start(request, reply, 'code'));

  app.get('/login/push', async (request, reply) => {
    const found = pending(request, 'push');
    if (!found) return backToLogin(reply, 'session');
    return page(reply, pushPage(appName, found.verification.number));
  });

  /** One long poll of Twofold; on a final answer, the session moves on (signed in, or ended). */
  const lookAtPush = async (request: FastifyRequest, reply: FastifyReply): Promise<PushStatus> => {
    const found = pending(request, 'push');
    if (!found) {
      clearSession(reply);
      return { state: 'expired', next: '/login?m=session' };
    }
    const { session, verification } = found;
    // The browser leaving ends the long poll too.
    const gone = new AbortController();
    const onClose = () => gone.abort();
    reply.raw.once('close', onClose);
    let state: Awaited<ReturnType<TwofoldClient['state']>>;
    try {
      state = await twofold.state(verification.id, { waitSeconds: pollSeconds, signal: gone.signal });
    } catch (error) {
      const notice = noticeForError(request, error);
      if (notice === 'unavailable') return { state: 'unavailable' };
      clearSession(reply);
      return { state: notice === 'expired' ? 'expired' : 'denied', next: `/login?m=${notice}` };
    } finally {
      reply.raw.off('close', onClose);
    }
    return settle(reply, session, state, 'denied');
  };

  const settle = (
    reply: FastifyReply,
    session: Session,
    state: 'pending' | 'approved' | 'denied' | 'expired',
    onDenied: Notice,
  ): PushStatus => {
    if (state === 'pending') return { state };
    if (state === 'approved') {
      signIn(reply, session.user);
      return { state, next: '/' };
    }
    clearSession(reply);
    return { state, next: `/login?m=${state === 'denied' ? onDenied : 'expired'}` };
  };

  app.get('/login/push/status', async (request, reply) => {
    const status = await lookAtPush(request, reply);
    return reply.code(status.state === 'unavailable' ? 503 : 200).send(status);
  });

  // Without JavaScript: the same look, then a redirect (back to the number while still pending).
  app.get('/login/push/check', async (request, reply) => {
    const status = await lookAtPush(request, reply);
    return goTo(reply, status.next ?? '/login/push');
  });

  app.get('/login/code', async (request, reply) => {
    if (!pending(request, 'code')) return backToLogin(reply, 'session');
    return page(reply, codePage(appName, noticeOf(request.query)));
  });

  app.post('/login/code/check', async (request, reply) => {
    const found = pending(request, 'code');
    if (!found) return backToLogin(reply, 'session');
    const body = (request.body ?? {}) as Record<string, unknown>;
    const code = typeof body.code === 'string' ? body.code.replace(/\s+/g, '').slice(0, 64) : '';
    if (code === '') return goTo(reply, '/login/code');
    let state: Awaited<ReturnType<TwofoldClient['submitCode']>>;
    try {
      state = await twofold.submitCode(found.verification.id, code);
    } catch (error) {
      const notice = noticeForError(request, error);
      if (notice === 'unavailable') return goTo(reply, '/login/code?m=unavailable');
      return backToLogin(reply, notice);
    }
    const status = settle(reply, found.session, state, 'code_rejected');
    return goTo(reply, status.next ?? '/login/code');
  });

  /**
   * Who may get a link code, which vouches that this application's user is whoever enters it on
   * Twofold: a user signed in here (Twofold vouched for them already), or a user past their password
   * whom Twofold has just said nobody has linked yet, the first time, as with any second factor set
   * up after a password. Never one whose Twofold account is linked and who has not confirmed with it
   * (Twofold also refuses a code for a username another Twofold account holds, until it is unlinked).
   */
  const linker = (request: FastifyRequest) => {
    const session = readSession(request);
    if (session?.stage === 'signed-in') return { username: session.user, signedIn: true };
    if (session?.stage === 'second-factor' && session.unlinked)
      return { username: session.user, signedIn: false };
    return undefined;
  };
  const notLinker = (request: FastifyRequest, reply: FastifyReply) =>
    secondFactor(request) ? goTo(reply, '/login/second') : backToLogin(reply, 'session');
  const linkOptions = (who: { username: string; signedIn: boolean }, notice?: string) => ({
    ...who,
    ...(options.twofoldAccountUrl ? { accountUrl: options.twofoldAccountUrl } : {}),
    ...(notice ? { notice } : {}),
  });

  app.get('/link', async (request, reply) => {
    const who = linker(request);
    if (!who) return notLinker(request, reply);
    return page(reply, linkPage(appName, linkOptions(who, noticeOf(request.query))));
  });

  app.post(
    '/link',
    { config: { rateLimit: { max: options.loginsPerMinute ?? 20, timeWindow: 60_000 } } },
    async (request, reply) => {
      const who = linker(request);
      if (!who) return notLinker(request, reply);
      let linkCode: Awaited<ReturnType<TwofoldClient['createLinkCode']>>;
      try {
        linkCode = await twofold.createLinkCode(who.username);
      } catch (error) {
        const notice = noticeForError(request, error);
        return goTo(
          reply,
          `/link?m=${notice === 'unavailable' || notice === 'too_many' ? notice : 'failed'}`,
        );
      }
      const minutes = Math.max(1, Math.round((linkCode.expiresAt - Date.now()) / 60_000));
      request.log.info({ user: who.username }, 'link code shown');
      return page(reply, linkCodePage(appName, { ...linkOptions(who), code: linkCode.code, minutes }));
    },
  );

  app.post('/logout', async (_request, reply) => backToLogin(reply, 'signed_out'));

  return app;
}

function sameOrigin(origin: string | undefined, expected: string): boolean {
  if (!origin || origin === 'null') return false;
  try {
    return new URL(origin).origin === new URL(expected).origin;
  } catch {
    return false;
  }
}
