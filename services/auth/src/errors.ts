/**
 * An expected failure with the contract's shape: `{"error":{"code","message"}}` and a 4xx status;
 * `details` go into the error object beside them (e.g. the challenge to solve).
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const invalidCredentials = () =>
  new ApiError(401, 'invalid_credentials', 'Invalid username or password.');
export const invalidCode = (statusCode = 401) =>
  new ApiError(statusCode, 'invalid_code', 'That code is not valid.');
/** `headers`: e.g. /auth/verify's Location, the login page the load balancer sends the browser to. */
export const unauthenticated = (headers: Record<string, string> = {}) =>
  new ApiError(401, 'unauthenticated', 'You are not signed in.', headers);
export const forbiddenState = () =>
  new ApiError(403, 'forbidden', 'This step is not available in the current state of your session.');
export const tooManyAttempts = (retryAfterSeconds: number) =>
  new ApiError(429, 'too_many_attempts', 'Too many attempts. Try again later.', {
    'retry-after': String(retryAfterSeconds),
  });
/**
 * Past the account's password budget: an unrecognised browser goes on at once with this challenge
 * solved, or after Retry-After without one.
 */
export const challengeRequired = (challenge: object, retryAfterSeconds: number) =>
  new ApiError(
    429,
    'too_many_attempts',
    'Too many attempts on this account. Solve the challenge to try again.',
    { 'retry-after': String(retryAfterSeconds) },
    { challenge },
  );
export const applicationForbidden = () =>
  new ApiError(403, 'application_forbidden', 'Your account may not use this application.');
export const redirectNotAllowed = () =>
  new ApiError(400, 'redirect_not_allowed', 'That address is not an application to return to.');
export const invalidRequest = (message: string) => new ApiError(400, 'invalid_request', message);

export const webauthnUnavailable = () =>
  new ApiError(
    409,
    'webauthn_unavailable',
    'Security keys cannot be used until an operator sets the public URL (TWOFOLD_PUBLIC_URL).',
  );

export const oidcUnavailable = () =>
  new ApiError(
    404,
    'oidc_unavailable',
    'OpenID Connect is not offered until an operator sets the public URL.',
  );
export const interactionExpired = () =>
  new ApiError(
    400,
    'interaction_expired',
    'This sign-in request has expired. Go back to the application and start again.',
  );
export const interactionNotYours = () =>
  new ApiError(403, 'forbidden', 'This sign-in request belongs to another session.');
