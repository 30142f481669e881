/** Test/dev entry: `node --import tsx src/cli/ctl/bin.ts <args>` runs tetcdctl without a build. */
import { runCtl } from './main.js';

process.exitCode = await runCtl(process.argv.slice(2));
