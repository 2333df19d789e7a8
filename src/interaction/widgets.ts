import type { WidgetKind } from '../vendors/types.ts';
import type { Messages } from './messages.ts';

/** The page's sentences a glue shows itself, in the page's language (the glue's `say`). */
export type WidgetTexts = Pick<Messages, 'passbaseInProgress' | 'passbaseChecking' | 'passbaseFatal'>;

/**
 * Glue that starts a vendor's client script on the step-up page. It reads the widget's options from the
 * page's JSON block, shows the sentences of `say` (WidgetTexts) and reports what the widget says through `report` (defined by the page): a widget
 * event is only ever a reason to ask the server, which asks the vendor.
 */
export const WIDGET_GLUE: Record<WidgetKind, string> = {
  // GlobalPass Instant Biometrics: GPScreeningWidget.init renders into the element; onComplete has no arguments.
  globalpass: `GPScreeningWidget.init(Object.assign({}, options, {
    elementId: 'stepup-widget',
    mode: 'InstantBiometrics',
    onComplete: function () { report({ event: 'complete' }); }
  }));`,
  // Passbase's own button (@passbase/button 4.4.0): onSubmitted and onFinish give the identity key (the
  // server checks the identity and the webhook), onError one of 4.4.0's codes; FATAL_ERROR ends the attempt,
  // which the person is told here, since the button shows nothing more.
  passbase: `var host = document.getElementById('stepup-widget');
  var note = document.createElement('p');
  note.setAttribute('role', 'status');
  host.parentNode.insertBefore(note, host.nextSibling);
  Passbase.renderButton(host, options.apiKey, {
    prefillAttributes: options.prefillAttributes,
    onStart: function () { note.textContent = say.passbaseInProgress; },
    onSubmitted: function () { report({ event: 'complete' }); },
    onFinish: function () { note.textContent = say.passbaseChecking; report({ event: 'complete' }); },
    onError: function (code) {
      note.textContent = code === 'FATAL_ERROR' ? say.passbaseFatal : '';
      report({ event: 'error', code: String(code) });
    }
  });`,
  // authID's own web component (@authid/web-component 1.4.0): it frames the hosted page with the permissions
  // it sets itself, as an overlay over the whole window (z-index 1000), so the page's ways out (cancel, try
  // another way) are lifted above it. The hosted page's final-page postMessage only makes the server check.
  authid: `var exits = document.getElementById('stepup-exits');
  if (exits) {
    // A compact bar along the bottom edge, where it hides the least of authID's page.
    Object.assign(exits.style, {
      position: 'fixed', left: '0', right: '0', bottom: '0', zIndex: '1001', display: 'flex', flexWrap: 'wrap',
      alignItems: 'center', gap: '.5rem 1rem', padding: '.5rem 1rem', background: '#fff', boxShadow: '0 -1px 3px rgba(0,0,0,.3)'
    });
    Array.prototype.forEach.call(exits.children, function (child) { child.style.margin = '0'; });
  }
  var component = document.createElement('authid-component');
  component.setAttribute('data-url', options.url);
  component.setAttribute('data-webauth', 'true');
  component.setAttribute('data-control', 'true');
  document.getElementById('stepup-widget').appendChild(component);
  window.addEventListener('message', function (event) {
    if (event.origin === options.origin && event.data && options.finalMessages.indexOf(event.data.type) >= 0) report({ event: 'complete' });
  });`,
};
