import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * services/auth, from this file in src/ or from the compiled bundle in dist/ (the same depth), which
 * has a single import.meta.url for every module inlined in it.
 */
export const SERVICE_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
