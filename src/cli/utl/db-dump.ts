/**
 * `tetcdutl db dump`: bucket key counts, or every key/value of one bucket. Keys and values print as
 * Go-quoted strings (bytes that are not printable UTF-8 become \x escapes); long values are cut.
 */
import { Backend } from '../../backend/backend.js';
import { BUCKET_NAMES, isBucketName } from '../../backend/buckets.js';
import { goQuote } from '../ctl/go-format.js';

/** Longest value printed in full; longer ones are cut with their size noted. */
export const VALUE_PRINT_BYTES_MAX = 256;

/** Throws Error on an unknown bucket; backend errors propagate. */
export async function dumpBackend(path: string, bucket: string, write: (text: string) => void): Promise<void> {
  if (bucket !== '' && !isBucketName(bucket)) {
    throw new Error(`unknown bucket ${JSON.stringify(bucket)} (buckets: ${BUCKET_NAMES.join(', ')})`);
  }
  const backend = await Backend.open(path);
  try {
    if (bucket === '') {
      for (const name of BUCKET_NAMES) {
        let count = 0;
        for (const _entry of backend.range(name, new Uint8Array(0))) count++;
        write(`${name}\t${count} keys\n`);
      }
      return;
    }
    for (const [key, value] of backend.range(bucket as typeof BUCKET_NAMES[number], new Uint8Array(0))) {
      const shown = value.length > VALUE_PRINT_BYTES_MAX
        ? `${goQuote(value.subarray(0, VALUE_PRINT_BYTES_MAX))}... (${value.length} bytes)` : goQuote(value);
      write(`${goQuote(key)} : ${shown}\n`);
    }
  } finally {
    await backend.close();
  }
}
