import * as fc from 'fast-check';
import { expect, it } from 'vitest';
import { count } from '../../src/cli/count.js';

it('count writes a whole number as toLocaleString("en-US") does', () => {
  expect([0, 7, 999, 1000, 1234567, -1234].map(count)).toEqual([
    '0',
    '7',
    '999',
    '1,000',
    '1,234,567',
    '-1,234',
  ]);
  fc.assert(
    fc.property(fc.maxSafeInteger(), (n) => count(n) === n.toLocaleString('en-US')),
    { numRuns: 300 },
  );
});
