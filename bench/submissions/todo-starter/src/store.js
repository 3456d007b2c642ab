'use strict';

// An in-memory store of todos. Each todo: { id, title, done, createdAt, updatedAt }.
class TodoStore {
  constructor(now = () => new Date()) {
    this.now = now;
    this.items = new Map();
    this.nextId = 1;
  }

  list({ done, offset = 0, limit = 50 } = {}) {
    let todos = [...this.items.values()];
    if (done !== undefined) {
      todos = todos.filter((todo) => todo.done === done);
    }
    todos.sort((a, b) => a.id - b.id);
    return { total: todos.length, items: todos.slice(offset, offset + limit) };
  }

  get(id) {
    return this.items.get(id) || null;
  }

  create({ title, done = false }) {
    const at = this.now().toISOString();
    const todo = { id: this.nextId, title, done, createdAt: at, updatedAt: at };
    this.items.set(todo.id, todo);
    this.nextId += 1;
    return todo;
  }

  update(id, changes) {
    const todo = this.items.get(id);
    if (!todo) {
      return null;
    }
    const updated = { ...todo, ...changes, id, updatedAt: this.now().toISOString() };
    this.items.set(id, updated);
    return updated;
  }

  remove(id) {
    return this.items.delete(id);
  }

  clear() {
    this.items.clear();
    this.nextId = 1;
  }
}

module.exports = { TodoStore };
