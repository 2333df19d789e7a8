import { resolvedBaseUrl } from '../config.ts';
import type { GlobalPassConfig } from './config.ts';

/** GlobalPass's production screenings API, the adapter's default `baseUrl`. */
export const PRODUCTION_API = 'https://screenings-api.globalpass.ch';
/** The widget script's file name, on GlobalPass's CDN and under any other `baseUrl`. */
export const WIDGET_FILE = 'global-pass-screening-widget.latest.js';
/** The documented environments: API host → identity host and widget script. */
export const KNOWN_HOSTS: Record<string, { identity: string; widget: string }> = {
  [PRODUCTION_API]: { identity: 'https://identity.globalpass.ch', widget: `https://cdn.globalpass.ch/live/${WIDGET_FILE}` },
  'https://screenings-api-test.globalpass.ch': {
    identity: 'https://identity-test.globalpass.ch',
    widget: `https://cdn.globalpass.ch/stage/${WIDGET_FILE}`,
  },
};

/** The token endpoint, API base and widget script an adapter with this config uses. */
export function globalPassEndpoints(config: GlobalPassConfig): { token: string; api: string; widgetScriptUrl: string } {
  const api = resolvedBaseUrl(config.baseUrl, 'GlobalPass');
  const known = KNOWN_HOSTS[api];
  const identity = (config.identityUrl ?? known?.identity ?? api).replace(/\/+$/, '');
  return {
    token: `${identity}/connect/token`,
    api,
    widgetScriptUrl: config.widgetScriptUrl ?? known?.widget ?? `${api}/stage/${WIDGET_FILE}`,
  };
}
