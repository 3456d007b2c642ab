'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { validateNewTodo, validateChanges, parseId, ValidationError } = require('../src/validation');

test('a new todo needs a title', () => {
  assert.deepStrictEqual(validateNewTodo({ title: ' buy milk ' }), { title: 'buy milk', done: false });
  assert.throws(() => validateNewTodo({ title: '' }), ValidationError);
  assert.throws(() => validateNewTodo({ done: 'yes', title: 'x' }), /done must be true or false/);
});

test('changes need at least one known field', () => {
  assert.deepStrictEqual(validateChanges({ done: true }), { done: true });
  assert.throws(() => validateChanges({ colour: 'red' }), /give a title or done/);
});

test('ids are positive integers written plainly', () => {
  assert.strictEqual(parseId('12'), 12);
  assert.strictEqual(parseId('012'), null);
  assert.strictEqual(parseId('-1'), null);
});
