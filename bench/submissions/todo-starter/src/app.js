'use strict';

const express = require('express');
const { requestLogger } = require('./logger');
const { todosRouter } = require('./routes/todos');
const { ValidationError } = require('./validation');

function createApp({ store, config, logger }) {
  const app = express();
  app.use(express.json({ limit: '16kb' }));
  app.use(requestLogger(logger));
  app.get('/health', (req, res) => res.json({ status: 'ok' }));
  app.use('/todos', todosRouter(store, config));
  app.use((req, res) => res.status(404).json({ error: 'no such route' }));
  // Errors thrown by handlers: validation problems are the client's, anything else ours.
  app.use((err, req, res, next) => {
    if (err instanceof ValidationError) {
      return res.status(400).json({ error: 'invalid input', problems: err.problems });
    }
    if (err.type === 'entity.parse.failed') {
      return res.status(400).json({ error: 'the body is not valid JSON' });
    }
    logger.error('unexpected error', { error: err.message });
    return res.status(500).json({ error: 'internal error' });
  });
  return app;
}

module.exports = { createApp };
