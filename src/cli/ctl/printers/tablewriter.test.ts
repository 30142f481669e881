import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable, wrapCell } from './tablewriter.js';

test('renders tablewriter layout: centred header, right-aligned cells', () => {
  const text = renderTable(['ENDPOINT', 'HEALTH', 'TOOK', 'ERROR'], [['127.0.0.1:23790', 'true', '14.619274ms', '']]);
  assert.equal(text, [
    '+-----------------+--------+-------------+-------+',
    '|    ENDPOINT     | HEALTH |    TOOK     | ERROR |',
    '+-----------------+--------+-------------+-------+',
    '| 127.0.0.1:23790 |   true | 14.619274ms |       |',
    '+-----------------+--------+-------------+-------+',
    '',
  ].join('\n'));
});

test('wraps cells longer than 30 columns at spaces, never inside a word', () => {
  assert.deepEqual(wrapCell('short'), ['short']);
  assert.deepEqual(wrapCell('aaaa bbbb cccc dddd eeee ffff gggg hhhh'), ['aaaa bbbb cccc dddd eeee ffff', 'gggg hhhh']);
  const long = 'x'.repeat(40);
  assert.deepEqual(wrapCell(long), [long]);
  const text = renderTable(['A'], [['aaaa bbbb cccc dddd eeee ffff gggg hhhh']]);
  assert.equal(text.split('\n')[3], '| aaaa bbbb cccc dddd eeee ffff |');
  assert.equal(text.split('\n')[4], '|                     gggg hhhh |');
});
