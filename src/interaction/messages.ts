import type { Context } from 'koa';
import type { VerificationState } from '../verification/state.ts';

/** The languages of the sign-in and step-up pages; the first is the default. */
export const LOCALES = ['en', 'es', 'pt'] as const;
export type Locale = (typeof LOCALES)[number];

/**
 * Every sentence of the interaction pages. Functions take their arguments as escaped HTML (a client or
 * vendor name the page already escaped); the texts themselves are plain and escaped by the views.
 */
export interface Messages {
  signIn: string;
  continueTo: (clientHtml: string) => string;
  username: string;
  password: string;
  cancel: string;
  demoAccounts: string;
  invalidCredentials: string;
  tooManySignIns: (minutes: number) => string;
  signInAs: (username: string | undefined) => string;
  allowTitle: string;
  allowQuestion: string;
  asksFor: (clientHtml: string) => string;
  yourSignIn: string;
  allow: string;
  deny: string;
  verifyTitle: string;
  withVendor: (vendorHtml: string) => string;
  followSteps: string;
  processing: string;
  waitingResult: string;
  checkAgain: string;
  continueToVerification: string;
  captureFrame: (vendor: string) => string;
  tryAnotherWay: string;
  cancelAndGoBack: string;
  notCompleted: string;
  failed: Partial<Record<VerificationState, string>> & { other: string };
  attemptsLeft: (count: number) => string;
  tryAgain: string;
  continuing: string;
  continueLink: string;
  expiredTitle: string;
  expiredText: string;
  brokenTitle: string;
  brokenText: string;
  refusedTitle: string;
  passbaseInProgress: string;
  passbaseChecking: string;
  passbaseFatal: string;
}

const en: Messages = {
  signIn: 'Sign in',
  continueTo: (client) => `to continue to ${client}`,
  username: 'Username',
  password: 'Password',
  cancel: 'Cancel',
  demoAccounts:
    'Demo accounts: alice / alice (enrolled for biometrics), bob / bob (not enrolled), auditor / auditor (audit console, enrolled at Gu1).',
  invalidCredentials: 'Invalid username or password.',
  tooManySignIns: (minutes) => `Too many failed sign-ins. Try again in ${minutes} minute(s).`,
  signInAs: (username) => `Sign in as ${username ?? 'the person already signed in'} to continue.`,
  allowTitle: 'Allow access',
  allowQuestion: 'Allow access?',
  asksFor: (client) => `${client} asks for:`,
  yourSignIn: 'your sign-in',
  allow: 'Allow',
  deny: 'Deny',
  verifyTitle: 'Verify it is you',
  withVendor: (vendor) => `With ${vendor}`,
  followSteps: 'Follow the steps below; this page continues by itself when you are done.',
  processing: 'Your verification is being processed; this page continues by itself.',
  waitingResult: 'Waiting for the verification result…',
  checkAgain: 'Check again',
  continueToVerification: 'Continue to the verification',
  captureFrame: (vendor) => `Identity verification by ${vendor}`,
  tryAnotherWay: 'Try another way:',
  cancelAndGoBack: 'Cancel and go back',
  notCompleted: 'Verification not completed',
  failed: {
    rejected: 'The verification could not confirm that it was you.',
    expired: 'The verification took too long and expired.',
    abandoned: 'The verification was stopped before it finished.',
    failed: 'The verification service had a problem and could not finish.',
    cancelled: 'The verification was interrupted.',
    other: 'The verification did not succeed.',
  },
  attemptsLeft: (count) => `You have ${count} ${count === 1 ? 'attempt' : 'attempts'} left.`,
  tryAgain: 'Try again',
  continuing: 'Continuing…',
  continueLink: 'continue',
  expiredTitle: 'Sign-in expired',
  expiredText: 'This sign-in page has expired or was already used. Go back to the application and start again.',
  brokenTitle: 'Something went wrong',
  brokenText: 'The sign-in could not continue. Go back to the application and try again.',
  refusedTitle: 'Request refused',
  passbaseInProgress: 'Passbase verification in progress…',
  passbaseChecking: 'Checking the result with Passbase…',
  passbaseFatal: 'Passbase could not run the verification in this browser, so this attempt has ended. Try another way or cancel.',
};

const es: Messages = {
  signIn: 'Iniciar sesión',
  continueTo: (client) => `para continuar en ${client}`,
  username: 'Usuario',
  password: 'Contraseña',
  cancel: 'Cancelar',
  demoAccounts:
    'Cuentas de prueba: alice / alice (con biometría registrada), bob / bob (sin registrar), auditor / auditor (consola de auditoría, registrado en Gu1).',
  invalidCredentials: 'El usuario o la contraseña no son correctos.',
  tooManySignIns: (minutes) =>
    `Demasiados intentos fallidos. Vuelve a intentarlo dentro de ${minutes} ${minutes === 1 ? 'minuto' : 'minutos'}.`,
  signInAs: (username) =>
    username ? `Para continuar, inicia sesión como ${username}.` : 'Para continuar, inicia sesión con la cuenta que ya estaba abierta.',
  allowTitle: 'Permitir acceso',
  allowQuestion: '¿Permitir el acceso?',
  asksFor: (client) => `${client} solicita:`,
  yourSignIn: 'tu inicio de sesión',
  allow: 'Permitir',
  deny: 'Rechazar',
  verifyTitle: 'Confirma que eres tú',
  withVendor: (vendor) => `Con ${vendor}`,
  followSteps: 'Sigue los pasos que aparecen abajo; al terminar, esta página continuará sola.',
  processing: 'Estamos procesando tu verificación; esta página continuará sola.',
  waitingResult: 'Esperando el resultado de la verificación…',
  checkAgain: 'Comprobar de nuevo',
  continueToVerification: 'Ir a la verificación',
  captureFrame: (vendor) => `Verificación de identidad de ${vendor}`,
  tryAnotherWay: 'Prueba de otra forma:',
  cancelAndGoBack: 'Cancelar y volver',
  notCompleted: 'No se completó la verificación',
  failed: {
    rejected: 'La verificación no pudo confirmar que eras tú.',
    expired: 'La verificación tardó demasiado y caducó.',
    abandoned: 'La verificación se detuvo antes de terminar.',
    failed: 'El servicio de verificación tuvo un problema y no pudo terminar.',
    cancelled: 'La verificación se interrumpió.',
    other: 'La verificación no salió bien.',
  },
  attemptsLeft: (count) => (count === 1 ? 'Te queda 1 intento.' : `Te quedan ${count} intentos.`),
  tryAgain: 'Volver a intentarlo',
  continuing: 'Continuando…',
  continueLink: 'continuar',
  expiredTitle: 'La sesión caducó',
  expiredText: 'Esta página de inicio de sesión caducó o ya se usó. Vuelve a la aplicación y empieza de nuevo.',
  brokenTitle: 'Algo salió mal',
  brokenText: 'No se pudo continuar con el inicio de sesión. Vuelve a la aplicación e inténtalo de nuevo.',
  refusedTitle: 'Solicitud rechazada',
  passbaseInProgress: 'Verificación de Passbase en curso…',
  passbaseChecking: 'Comprobando el resultado con Passbase…',
  passbaseFatal: 'Passbase no pudo hacer la verificación en este navegador, así que este intento terminó. Prueba de otra forma o cancela.',
};

const pt: Messages = {
  signIn: 'Entrar',
  continueTo: (client) => `para continuar em ${client}`,
  username: 'Usuário',
  password: 'Senha',
  cancel: 'Cancelar',
  demoAccounts:
    'Contas de demonstração: alice / alice (com biometria cadastrada), bob / bob (sem cadastro), auditor / auditor (console de auditoria, cadastrado na Gu1).',
  invalidCredentials: 'Usuário ou senha incorretos.',
  tooManySignIns: (minutes) => `Muitas tentativas sem sucesso. Tente de novo daqui a ${minutes} ${minutes === 1 ? 'minuto' : 'minutos'}.`,
  signInAs: (username) =>
    username ? `Para continuar, entre como ${username}.` : 'Para continuar, entre com a conta que já estava conectada.',
  allowTitle: 'Permitir acesso',
  allowQuestion: 'Permitir o acesso?',
  asksFor: (client) => `${client} está pedindo:`,
  yourSignIn: 'seu login',
  allow: 'Permitir',
  deny: 'Recusar',
  verifyTitle: 'Confirme que é você',
  withVendor: (vendor) => `Com ${vendor}`,
  followSteps: 'Siga as etapas abaixo; quando terminar, esta página continua sozinha.',
  processing: 'Sua verificação está sendo processada; esta página continua sozinha.',
  waitingResult: 'Aguardando o resultado da verificação…',
  checkAgain: 'Verificar de novo',
  continueToVerification: 'Ir para a verificação',
  captureFrame: (vendor) => `Verificação de identidade da ${vendor}`,
  tryAnotherWay: 'Tente de outro jeito:',
  cancelAndGoBack: 'Cancelar e voltar',
  notCompleted: 'A verificação não foi concluída',
  failed: {
    rejected: 'A verificação não conseguiu confirmar que era você.',
    expired: 'A verificação demorou demais e expirou.',
    abandoned: 'A verificação foi interrompida antes de terminar.',
    failed: 'O serviço de verificação teve um problema e não conseguiu terminar.',
    cancelled: 'A verificação foi interrompida.',
    other: 'A verificação não deu certo.',
  },
  attemptsLeft: (count) => (count === 1 ? 'Resta 1 tentativa.' : `Restam ${count} tentativas.`),
  tryAgain: 'Tentar de novo',
  continuing: 'Continuando…',
  continueLink: 'continuar',
  expiredTitle: 'O login expirou',
  expiredText: 'Esta página de login expirou ou já foi usada. Volte ao aplicativo e comece de novo.',
  brokenTitle: 'Algo deu errado',
  brokenText: 'Não foi possível continuar o login. Volte ao aplicativo e tente de novo.',
  refusedTitle: 'Pedido recusado',
  passbaseInProgress: 'Verificação da Passbase em andamento…',
  passbaseChecking: 'Conferindo o resultado com a Passbase…',
  passbaseFatal:
    'A Passbase não conseguiu fazer a verificação neste navegador, então esta tentativa terminou. Tente de outro jeito ou cancele.',
};

const CATALOGUE: Record<Locale, Messages> = { en, es, pt };

/** The pages' texts in `locale`. */
export function messages(locale: Locale): Messages {
  return CATALOGUE[locale];
}

/**
 * The supported language a request asks for, if any: the first of `ui_locales` (OpenID Connect, in order
 * of preference) that is supported by its primary subtag, else the best match of the browser's
 * `Accept-Language` (`acceptsLanguages`, koa's negotiation with q-values). Undefined when neither names
 * one, so a vendor's configured language can apply; the pages then use English.
 */
export function requestedLocale(uiLocales: unknown, request: Pick<Context, 'acceptsLanguages' | 'get'>): Locale | undefined {
  const asked = typeof uiLocales === 'string' ? uiLocales.split(/\s+/).filter(Boolean) : [];
  for (const tag of asked) {
    const primary = tag.split('-')[0]!.toLowerCase();
    if (isLocale(primary)) return primary;
  }
  if (!request.get('accept-language').trim()) return undefined;
  const best = request.acceptsLanguages([...LOCALES]);
  return best && isLocale(best) ? best : undefined;
}

const isLocale = (value: string): value is Locale => (LOCALES as readonly string[]).includes(value);
