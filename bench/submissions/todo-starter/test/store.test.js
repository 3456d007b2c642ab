'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { TodoStore } = require('../src/store');

const fixed = () => new Date('2024-03-01T09:00:00Z');

test('created todos get increasing ids and timestamps', () => {
  const store = new TodoStore(fixed);
  const first = store.create({ title: 'write tests' });
  const second = store.create({ title: 'ship', done: true });
  assert.strictEqual(first.id, 1);
  assert.strictEqual(second.id, 2);
  assert.strictEqual(second.done, true);
  assert.strictEqual(first.createdAt, '2024-03-01T09:00:00.000Z');
});

test('list filters by done and pages', () => {
  const store = new TodoStore(fixed);
  for (let i = 0; i < 5; i += 1) {
    store.create({ title: `todo ${i}`, done: i % 2 === 0 });
  }
  assert.strictEqual(store.list({ done: true }).total, 3);
  assert.deepStrictEqual(store.list({ offset: 3, limit: 10 }).items.map((t) => t.id), [4, 5]);
});

test('update and remove report missing todos', () => {
  const store = new TodoStore(fixed);
  const todo = store.create({ title: 'a' });
  assert.strictEqual(store.update(todo.id, { done: true }).done, true);
  assert.strictEqual(store.update(99, { done: true }), null);
  assert.strictEqual(store.remove(todo.id), true);
  assert.strictEqual(store.remove(todo.id), false);
});
