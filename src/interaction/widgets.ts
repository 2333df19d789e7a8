import type { WidgetKind } from '../vendors/types.ts';

/**
 * Glue that starts a vendor's client script on the step-up page. It reads the widget's options from the
 * page's JSON block and reports what the widget says through `report` (defined by the page): a widget
 * event is only ever a reason to ask the server, which asks the vendor.
 */
export const WIDGET_GLUE: Record<WidgetKind, string> = {
  // GlobalPass Instant Biometrics: GPScreeningWidget.init renders into the element; onComplete has no arguments.
  globalpass: `GPScreeningWidget.init(Object.assign({}, options, {
    elementId: 'stepup-widget',
    mode: 'InstantBiometrics',
    onComplete: function () { report({ event: 'complete' }); }
  }));`,
  // Passbase button: onFinish gives the identity key (the server checks it), onError a documented code.
  passbase: `Passbase.renderButton(document.getElementById('stepup-widget'), options.apiKey, {
    prefillAttributes: options.prefillAttributes,
    onStart: function () {},
    onFinish: function () { report({ event: 'complete' }); },
    onError: function (code) { report({ event: 'error', code: String(code) }); }
  });`,
};
