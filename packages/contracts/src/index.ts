export * from './events';
export * from './envelope';
export * from './json-schema';
