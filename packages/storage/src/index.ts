export * from './storage.types';
export * from './storage.error';
export * from './storage.key';
export * from './local.storage';
export * from './s3.storage';
export * from './storage.factory';
