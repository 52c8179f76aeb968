export {
  startAuthService,
  SERVICE,
  type RunningAuthService,
  type AuthServiceOptions,
} from './service';
export { loadAuthConfig, authConfigShape, authConfigHelp, type AuthConfig } from './config';
