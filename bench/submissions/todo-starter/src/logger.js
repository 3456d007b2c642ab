'use strict';

const LEVELS = ['debug', 'info', 'warn', 'error'];

// A tiny structured logger: one JSON object per line, filtered by level.
function createLogger(level = 'info', write = (line) => process.stdout.write(line + '\n')) {
  const threshold = LEVELS.indexOf(level);
  if (threshold < 0) {
    throw new Error(`unknown log level ${level}`);
  }
  const log = (name) => (message, fields = {}) => {
    if (LEVELS.indexOf(name) < threshold) {
      return;
    }
    write(JSON.stringify({ level: name, time: new Date().toISOString(), message, ...fields }));
  };
  return Object.fromEntries(LEVELS.map((name) => [name, log(name)]));
}

function requestLogger(logger) {
  return (req, res, next) => {
    const started = Date.now();
    res.on('finish', () => {
      logger.info('request', {
        method: req.method,
        path: req.originalUrl,
        status: res.statusCode,
        ms: Date.now() - started,
      });
    });
    next();
  };
}

module.exports = { createLogger, requestLogger, LEVELS };
