/** The subset of the Zendesk Apps framework client (ZAF SDK 2.0) this app uses. No official types exist. */
export interface IZafRequestOptions {
  url: string;
  type?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  data?: string;
  contentType?: string;
  dataType?: 'json' | 'text';
  /** Substitute `{{setting.…}}` placeholders of secure settings (Zendesk's proxy only). */
  secure?: boolean;
  /** false: through Zendesk's proxy (required for secure settings). */
  cors?: boolean;
  timeout?: number;
  httpCompleteResponse?: boolean;
}

/** What a failed client.request rejects with (a jqXHR-like object), or an Error from the SDK. */
export interface IZafRequestFailure {
  status?: number;
  statusText?: string;
  responseText?: string;
  responseJSON?: unknown;
}

export interface IZafContext {
  location: string;
  product?: string;
  instanceGuid?: string;
  ticketId?: number | string;
  account?: { subdomain?: string };
}

export interface IZafMetadata {
  appId?: number;
  installationId?: number;
  version?: string;
  settings: Record<string, unknown>;
}

export interface IZafClient {
  on(event: string, handler: (data?: unknown) => void): void;
  off(event: string, handler: (data?: unknown) => void): void;
  get(path: string | string[]): Promise<Record<string, unknown>>;
  set(path: string, value: unknown): Promise<Record<string, unknown>>;
  invoke(name: string, ...args: unknown[]): Promise<unknown>;
  request<T = unknown>(options: IZafRequestOptions): Promise<T>;
  context(): Promise<IZafContext>;
  metadata(): Promise<IZafMetadata>;
  /** The client of another instance of this app in the same Zendesk tab (`client.get('instances')` lists them). */
  instance(instanceGuid: string): IZafClient;
}

declare global {
  interface Window {
    ZAFClient?: { init(callback?: (context: IZafContext) => void): IZafClient | false };
  }
}
