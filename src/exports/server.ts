/** `oidc-biometric-step-up/server`: the bundled identity provider that `npx stepup serve` runs. */
export { startIdp, type RunningIdp, type StartOptions } from '../server/app.ts';
export { configFromEnv, type ServerConfig } from '../server/config.ts';
