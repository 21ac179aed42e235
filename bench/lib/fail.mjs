// How a benchmark ends on a real error (fio missing, wrong data, a crashed trial): a message, exit 1.
/**
 * @param {string} msg
 * @returns {never}
 */
export function fail(msg) {
  console.error(`error: ${msg}`);
  process.exit(1);
}

process.on('uncaughtException', (err) => fail(err.message));
