'use strict';

const { createApp } = require('./app');
const { readConfig } = require('./config');
const { createLogger } = require('./logger');
const { TodoStore } = require('./store');

const config = readConfig();
const logger = createLogger(config.logLevel);
const app = createApp({ store: new TodoStore(), config, logger });
app.listen(config.port, () => logger.info('listening', { port: config.port }));
