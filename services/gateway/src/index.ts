export { startGateway, SERVICE, type RunningGateway, type GatewayOptions } from './service';
export {
  loadGatewayConfig,
  gatewayConfigShape,
  gatewayConfigHelp,
  type GatewayConfig,
} from './config';
