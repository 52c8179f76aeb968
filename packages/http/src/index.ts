export * from './app';
export * from './errors.middleware';
export * from './server';
export * from './trust.middleware';
export * from './validate';
export { AppError } from '@readur/errors';
