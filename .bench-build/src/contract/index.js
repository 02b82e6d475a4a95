export * from './config.js';
export * from './connector.js';
export * from './decision.js';
export * from './errors.js';
export * from './location.js';
export * from './result.js';
export * from './ticket.js';
//# sourceMappingURL=index.js.map