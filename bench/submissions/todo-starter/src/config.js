'use strict';

// Settings read once from the environment, with defaults for local development.
function readConfig(env = process.env) {
  const port = Number.parseInt(env.PORT || '3000', 10);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`PORT must be a port number, got ${env.PORT}`);
  }
  return {
    port,
    logLevel: env.LOG_LEVEL || 'info',
    maxTitleLength: Number.parseInt(env.MAX_TITLE_LENGTH || '200', 10),
    pageSize: Number.parseInt(env.PAGE_SIZE || '50', 10),
  };
}

module.exports = { readConfig };
