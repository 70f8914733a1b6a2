import { Type } from '@sinclair/typebox';

export const ErrorResponse = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});

export const CodeBody = Type.Object(
  { code: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

/** A POST that carries nothing: `{}` and only that. */
export const EmptyBody = Type.Object({}, { additionalProperties: false });

export const UserSummary = Type.Object({ id: Type.String(), username: Type.String() });

export const StateResponse = Type.Object({ state: Type.String() });

export const Uuid = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
});

/**
 * A browser's WebAuthn answer (RegistrationResponseJSON or AuthenticationResponseJSON). Only its
 * outline is checked here; lib/webauthn.ts reads every field defensively and refuses what is wrong.
 */
export const WebAuthnResponse = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1_400 }),
    rawId: Type.String({ minLength: 1, maxLength: 1_400 }),
    type: Type.Literal('public-key'),
    response: Type.Object({}, { additionalProperties: true, maxProperties: 16 }),
  },
  { additionalProperties: true, maxProperties: 16 },
);

export const WebAuthnResponseBody = Type.Object(
  { response: WebAuthnResponse },
  { additionalProperties: false },
);
