'use strict';

const NUMERALS = [
  [1000, 'M'], [900, 'CM'], [500, 'D'], [400, 'CD'], [100, 'C'], [90, 'XC'],
  [50, 'L'], [40, 'XL'], [10, 'X'], [9, 'IX'], [5, 'V'], [4, 'IV'], [1, 'I'],
];
const CANONICAL = /^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$/;

function toRoman(value) {
  if (!Number.isInteger(value) || value < 1 || value > 3999) {
    throw new RangeError(`expected an integer from 1 to 3999, got ${value}`);
  }
  let rest = value;
  let text = '';
  for (const [amount, symbol] of NUMERALS) {
    while (rest >= amount) {
      text += symbol;
      rest -= amount;
    }
  }
  return text;
}

function fromRoman(text) {
  if (typeof text !== 'string' || text === '' || !CANONICAL.test(text)) {
    throw new SyntaxError(`not a Roman numeral: ${text}`);
  }
  let value = 0;
  let at = 0;
  for (const [amount, symbol] of NUMERALS) {
    while (text.startsWith(symbol, at)) {
      value += amount;
      at += symbol.length;
    }
  }
  return value;
}

module.exports = { toRoman, fromRoman };
