'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { toRoman, fromRoman } = require('../src/roman');

test('writes numbers as Roman numerals', () => {
  assert.strictEqual(toRoman(1), 'I');
  assert.strictEqual(toRoman(4), 'IV');
  assert.strictEqual(toRoman(1994), 'MCMXCIV');
  assert.strictEqual(toRoman(3999), 'MMMCMXCIX');
});

test('reads Roman numerals back', () => {
  assert.strictEqual(fromRoman('XLII'), 42);
  assert.strictEqual(fromRoman('MMXXIV'), 2024);
});

test('every number survives the round trip', () => {
  for (let n = 1; n <= 3999; n += 1) {
    assert.strictEqual(fromRoman(toRoman(n)), n);
  }
});

test('refuses what is not a number in range or a canonical numeral', () => {
  assert.throws(() => toRoman(0), RangeError);
  assert.throws(() => toRoman(2.5), RangeError);
  assert.throws(() => fromRoman('IIII'), SyntaxError);
  assert.throws(() => fromRoman('hello'), SyntaxError);
});
