'use strict';

class ValidationError extends Error {
  constructor(problems) {
    super(problems.join('; '));
    this.problems = problems;
  }
}

function checkTitle(title, maxLength, problems) {
  if (typeof title !== 'string') {
    problems.push('title must be a string');
  } else if (title.trim() === '') {
    problems.push('title must not be empty');
  } else if (title.length > maxLength) {
    problems.push(`title must be at most ${maxLength} characters`);
  }
}

function checkDone(done, problems) {
  if (done !== undefined && typeof done !== 'boolean') {
    problems.push('done must be true or false');
  }
}

// A new todo: a title, and optionally whether it is done.
function validateNewTodo(body, maxLength = 200) {
  const problems = [];
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError(['the body must be a JSON object']);
  }
  checkTitle(body.title, maxLength, problems);
  checkDone(body.done, problems);
  if (problems.length) {
    throw new ValidationError(problems);
  }
  return { title: body.title.trim(), done: body.done === true };
}

// Changes to a todo: any of title and done, at least one.
function validateChanges(body, maxLength = 200) {
  const problems = [];
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError(['the body must be a JSON object']);
  }
  const known = Object.keys(body).filter((key) => key === 'title' || key === 'done');
  if (!known.length) {
    problems.push('give a title or done to change');
  }
  if ('title' in body) {
    checkTitle(body.title, maxLength, problems);
  }
  checkDone(body.done, problems);
  if (problems.length) {
    throw new ValidationError(problems);
  }
  const changes = {};
  if ('title' in body) changes.title = body.title.trim();
  if ('done' in body) changes.done = body.done;
  return changes;
}

function parseId(raw) {
  const id = Number.parseInt(raw, 10);
  return Number.isInteger(id) && id > 0 && String(id) === raw ? id : null;
}

module.exports = { ValidationError, validateNewTodo, validateChanges, parseId };
