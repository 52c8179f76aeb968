export * from './environment';
export * from './service.process';
export * from './stack';
export * from './test.stack';
