import type { z } from 'zod';

/**
 * What a vendor's verdict is mapped onto, in our words (vendors.md §6.1). Every one is a state of the
 * verification state machine (src/verification/state.ts checks it), which this layer does not know.
 */
export type ReportedState = 'pending' | 'in_progress' | 'approved' | 'rejected' | 'expired' | 'cancelled' | 'abandoned' | 'failed';

/** How the step-up page shows the vendor's hosted capture to the user. */
export type Presentation =
  | { kind: 'redirect'; url: string }
  | {
      kind: 'iframe';
      url: string;
      allow: string;
      /**
       * postMessage events the framed page sends when it reaches its final page (authID). They only make
       * the step-up page check the server sooner: a browser event never decides anything.
       */
      finalMessages?: { origin: string; types: readonly string[] };
    }
  | {
      kind: 'widget';
      /** Which glue the step-up page uses to start the vendor's script (src/interaction/widgets.ts). */
      widget: WidgetKind;
      scriptUrl: string;
      /** Options the glue passes to the widget's init call (ids, keys, prefill), never secrets. */
      options: Record<string, unknown>;
    };

/** Vendor client scripts the step-up page knows how to start. */
export type WidgetKind = 'globalpass' | 'passbase' | 'authid';

/** What the orchestrator asks an adapter to start. */
export interface StartRequest {
  /** Our verification id; sent to the vendor as its reference where the API allows one. */
  verificationId: string;
  /** The account's enrolled reference at this vendor (Gu1 entityId, Verifik identifier, …). */
  subject: string;
  /** Where the hosted capture sends the browser back (under /interaction/:uid/…). */
  returnUrl: string;
  /** Where the vendor should POST its webhooks. */
  webhookUrl: string;
  /** UI language (BCP 47 primary tag, e.g. `en`). */
  language: string;
  /** How long the capture may take before it expires. */
  timeoutSeconds: number;
}

/** A hosted capture the vendor has accepted to run. */
export interface StartedSession {
  vendorSessionId: string;
  presentation: Presentation;
  /** The vendor's own deadline for this session, when it states one. */
  expiresAt?: Date;
}

/**
 * Facts a vendor reports about one session, read server-side. Adapters never decide the acr:
 * `state` is the vendor's verdict mapped onto our states; the policy applies thresholds and subject checks.
 */
export interface VendorOutcome {
  vendorSessionId: string;
  state: ReportedState;
  /** The vendor's own status string, kept for the ledger. */
  vendorStatus: string;
  /** Scores normalised to 0–1; absent when the vendor gives a verdict only. */
  scores: { liveness?: number; match?: number };
  /** The vendor's subject reference for the person it verified. */
  subject?: string;
  /** A short machine-readable reason (vendor rejection code, error code). */
  reason?: string;
}

/** A webhook request exactly as received. */
export interface WebhookRequest {
  headers: Record<string, string | undefined>;
  rawBody: Buffer;
  now: Date;
}

/**
 * What an authenticated webhook tells us: which session to re-fetch, or (vendors without server-side
 * sessions, Passbase) which person. A webhook is a hint; the verdict still comes from `fetch`.
 */
export type WebhookHint =
  { vendorSessionId: string; event?: string; occurredAt?: Date } | { subject: string; event?: string; occurredAt?: Date };

/** Everything `fetch` may use besides the session id. */
export interface FetchOptions {
  /** Ask the vendor to refresh from its provider first, where it can. */
  sync?: boolean;
  /** The verification being confirmed: its expected subject and when it started. */
  verification?: { subject: string; startedAt: Date };
  /**
   * The authenticated webhook that caused this read. Only vendors whose server-side record cannot show
   * a single authentication (Passbase) use it, and only together with that record.
   */
  webhook?: WebhookHint;
}

/** A failure the vendor's client script reported in the browser; it can end a verification, never approve one. */
export interface BrowserFailure {
  state: 'rejected' | 'abandoned' | 'failed';
  reason: string;
}

/** One configured vendor. Implementations live in one file each under src/vendors/. */
export interface VendorAdapter {
  /** The policy's name for this vendor (`vendors.<id>`). */
  readonly id: string;
  /** The adapter type (`gu1`, `verifik`, …). */
  readonly type: string;
  start(request: StartRequest): Promise<StartedSession>;
  /** Reads the vendor's record of one session: the only source of an approval. */
  fetch(vendorSessionId: string, options?: FetchOptions): Promise<VendorOutcome>;
  /**
   * Authenticates a webhook; throws WebhookRejectedError when it is not genuine. Returns null for a
   * genuine event about something else (the vendor's other products), which is ignored: the webhook route
   * gives it the same answer as any refusal.
   */
  authenticateWebhook(request: WebhookRequest): WebhookHint | null;
  /** Cancels the vendor session where the vendor supports it. */
  cancel?(vendorSessionId: string): Promise<void>;
  /**
   * Maps an error code the vendor's client script reported in the browser (Passbase `onError`) onto how
   * the verification ends; undefined for codes that do not end it. Never an approval.
   */
  browserFailure?(code: string): BrowserFailure | undefined;
  /** Seconds between status polls of an open session (authID recommends 5 s); the worker's default otherwise. */
  readonly pollIntervalSeconds?: number;
}

/** Dependencies the host gives adapters (injected so tests can use undici's MockAgent). */
export interface VendorDeps {
  fetch: typeof globalThis.fetch;
}

/** A validated `vendors.<id>` entry whose adapter type is known only at run time. */
export type VendorConfig = { type: string } & Record<string, unknown>;

/** Registers one adapter type: its zod config schema and a constructor. */
export interface VendorFactory<C extends { type: string }> {
  type: C['type'];
  configSchema: z.ZodType<C>;
  /** How the person sees the vendor named when the policy gives no `displayName` (the vendor's own spelling). */
  displayName: string;
  /** The vendor's documented production API base, used when the policy gives none and sandbox mode is off. */
  defaultBaseUrl: string;
  /**
   * Which normalised scores the vendor reports. A policy threshold on a score the vendor never reports
   * cannot be checked, so policy loading refuses it unless the level trusts the vendor's verdict.
   */
  reports: { liveness: boolean; match: boolean };
  /** Set when the vendor should no longer be chosen (shut down, deprecated): why. Policies using it load with a warning. */
  legacy?: string;
  /**
   * Config values for URLs the person's browser loads (widget scripts, hosted pages), pointing at the local
   * sandbox's public address, for vendors that derive them from `baseUrl` rather than get them from the API.
   */
  sandboxBrowserConfig?(publicBase: string): Partial<C>;
  /**
   * Origins the vendor's client code loads from in production beyond the URLs of its config (script CDNs,
   * framed hosts); the step-up page's CSP allows them (src/http/vendor-origins.ts).
   */
  browserOrigins?: readonly string[];
  create(id: string, config: C, deps: VendorDeps): VendorAdapter;
}

/**
 * A factory of any adapter type, as the registry holds it: the policy loader parsed the config with that
 * factory's own `configSchema`, so the config `create` receives has the factory's shape.
 */
export type AnyVendorFactory = VendorFactory<VendorConfig>;

/**
 * Where a vendor type's local sandbox is reached, in sandbox mode: `api` for the adapter's server-to-server
 * calls, `browser` for what the person's browser loads (the issuer's public origin).
 */
export type BaseUrlResolver = (vendorType: string) => { api: string; browser: string } | undefined;
