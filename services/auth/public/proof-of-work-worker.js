// One solver of proof-of-work.js: tries its share of the counters with WebCrypto's PBKDF2.
import { deriveKey } from '/static/vendor/altcha/algorithms/web/pbkdf2.js';
import { handler } from '/static/vendor/altcha/workers/shared.js';

handler({ deriveKey });
