'use strict';

const express = require('express');
const { parseId } = require('../validation');

function todosRouter(store, config) {
  const router = express.Router();

  router.get('/', (req, res) => {
    const offset = Math.max(0, Number.parseInt(req.query.offset || '0', 10) || 0);
    const done = req.query.done === undefined ? undefined : req.query.done === 'true';
    res.json(store.list({ done, offset, limit: config.pageSize }));
  });

  router.get('/:id', (req, res) => {
    const id = parseId(req.params.id);
    const todo = id === null ? null : store.get(id);
    if (!todo) {
      return res.status(404).json({ error: 'todo not found' });
    }
    return res.json(todo);
  });

  router.post('/', (req, res) => {
    // TODO: validate the body and create the todo
    res.status(501).json({ error: 'not implemented' });
  });

  router.patch('/:id', (req, res) => {
    // TODO: validate the changes and update the todo
    res.status(501).json({ error: 'not implemented' });
  });

  router.delete('/:id', (req, res) => {
    // TODO: delete the todo
    res.status(501).json({ error: 'not implemented' });
  });

  return router;
}

module.exports = { todosRouter };
