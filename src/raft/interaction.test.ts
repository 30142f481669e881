/**
 * Runs every datadriven interaction script in src/raft/testdata/*.txt. REWRITE=1 regenerates the
 * expected output blocks (review the diff before committing it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InteractionEnv } from './rafttest/env.js';
import { handleCommand } from './rafttest/handlers.js';
import { parseScript, renderScript } from './rafttest/script.js';

const dir = join(import.meta.dirname, 'testdata');
const rewrite = process.env.REWRITE === '1';

for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
  test(`interaction ${file}`, () => {
    const path = join(dir, file);
    const { cases, trailer } = parseScript(readFileSync(path, 'utf8'));
    const env = new InteractionEnv();
    const outputs: string[] = [];
    for (const c of cases) {
      const output = handleCommand(env, c.command, c.args);
      outputs.push(output);
      if (!rewrite) assert.equal(output, c.expected, `${file}:${c.line}: ${c.text}`);
    }
    if (rewrite) writeFileSync(path, renderScript(cases, outputs, trailer));
  });
}
