// The phone's one record in IndexedDB. The private keys are non-extractable CryptoKeys, which
// IndexedDB stores by structured clone: the page can use them but never read their bytes.
//
// record = {origin, deviceId, name, username, issuer, pushPath, createdAt,
//           signingKey, encryptionKey, channelKey, // CryptoKey (non-extractable)
//           accounts: [{userId, username, issuer, secret, algorithm, digits, period}],
//           inbox: [login prompts and delivered codes not yet expired or answered],
//           handled: [push message ids, newest last], removed: false}

const DB_NAME = 'twofold-phone';
const STORE = 'state';
const KEY = 'device';
/** Enough to cover any redelivery: the server keeps a message only until it is acknowledged. */
export const HANDLED_LIMIT = 200;

/** @type {Promise<IDBDatabase> | undefined} */
let opening;

function database() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opening;
}

/** @param {IDBTransactionMode} mode @param {(store: IDBObjectStore) => IDBRequest} action */
async function run(mode, action) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const request = action(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(request.result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** The stored record, or null before pairing. */
export async function loadDevice() {
  return (await run('readonly', (store) => store.get(KEY))) ?? null;
}

// Writes go one after another, so a slow earlier write can never land after a later one.
let writing = Promise.resolve();

/** @param {object} record */
export function saveDevice(record) {
  const write = writing.then(() => run('readwrite', (store) => store.put(record, KEY)));
  writing = write.catch(() => undefined);
  return write;
}

export function forgetDevice() {
  const write = writing.then(() => run('readwrite', (store) => store.delete(KEY)));
  writing = write.catch(() => undefined);
  return write;
}

/** Remembers a handled message id, keeping the newest HANDLED_LIMIT. @param {object} record @param {string} id */
export function markHandled(record, id) {
  record.handled = [...record.handled.filter((seen) => seen !== id), id].slice(-HANDLED_LIMIT);
}
