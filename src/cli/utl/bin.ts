/** Test/dev entry: `node --import tsx src/cli/utl/bin.ts <args>` runs tetcdutl without a build. */
import { runUtl } from './main.js';

process.exitCode = await runUtl(process.argv.slice(2));
