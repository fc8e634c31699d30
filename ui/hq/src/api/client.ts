// The REST client of the console: same-origin fetch with the session cookie,
// JSON in and out, and one error type carrying the hub's JSON error
// (`{"error":{"code","message"}}`) so every form can show what the server said.

/** A failed API call: the hub's error code and message, or a client-side one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly retryAfterS: number | null;

  constructor(status: number, code: string, message: string, retryAfterS: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.retryAfterS = retryAfterS;
  }

  /** The endpoint does not exist on this hub (yet). */
  get isMissingEndpoint(): boolean {
    return this.status === 404 && this.code === "not_found";
  }
}

export type Query = Record<string, string | number | boolean | null | undefined | (string | number)[]>;

export interface RequestOptions {
  query?: Query;
  json?: unknown;
  csv?: string;
  signal?: AbortSignal;
}

/** `path?query` with empty values left out; arrays joined by commas. */
export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) {
      if (v.length === 0) continue;
      params.set(k, v.join(","));
    } else {
      params.set(k, String(v));
    }
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Turn a non-2xx answer into an ApiError, whatever its body. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let text = "";
  try {
    text = await res.text();
  } catch {
    text = "";
  }
  const retryHeader = res.headers.get("retry-after");
  let retry: number | null = retryHeader && /^\d+$/.test(retryHeader) ? Number(retryHeader) : null;
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === "object") {
      const b = body as Record<string, unknown>;
      const e = (b.error && typeof b.error === "object" ? b.error : b) as Record<string, unknown>;
      const code = typeof e.code === "string" ? e.code : `http_${res.status}`;
      const message =
        typeof e.message === "string" && e.message.trim() !== ""
          ? e.message
          : res.statusText || `HTTP ${res.status}`;
      const r = e.retry_after_s ?? b.retry_after_s;
      if (typeof r === "number") retry = r;
      return new ApiError(res.status, code, message, retry);
    }
  } catch {
    // not JSON: fall through
  }
  const plain = text.trim().replace(/\s+/g, " ").slice(0, 300);
  return new ApiError(
    res.status,
    `http_${res.status}`,
    plain && !plain.startsWith("<") ? plain : res.statusText || `HTTP ${res.status}`,
    retry,
  );
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** A client bound to a base URL and a fetch implementation (tests pass their own). */
export class Client {
  private readonly fetchImpl: FetchLike;
  private readonly base: string;
  /** Called on 401 from any endpoint but login (the session ended). */
  onUnauthorized: (() => void) | null = null;

  constructor(fetchImpl: FetchLike, base = "/api/v1") {
    this.fetchImpl = fetchImpl;
    this.base = base;
  }

  url(path: string, query?: Query): string {
    return withQuery(`${this.base}${path}`, query);
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.csv !== undefined) {
      headers["content-type"] = "text/csv";
      body = opts.csv;
    }
    let res: Response;
    try {
      res = await this.fetchImpl(this.url(path, opts.query), {
        method,
        headers,
        body,
        credentials: "same-origin",
        signal: opts.signal,
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === "AbortError") throw e;
      throw new ApiError(0, "network", "the hub could not be reached");
    }
    if (!res.ok) {
      const err = await errorFromResponse(res);
      if (res.status === 401 && !path.startsWith("/auth/login")) this.onUnauthorized?.();
      throw err;
    }
    if (res.status === 204 || res.status === 205) return undefined as T;
    const ctype = res.headers.get("content-type") ?? "";
    const text = await res.text();
    if (ctype.includes("json")) {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new ApiError(res.status, "bad_response", "the hub sent JSON that does not parse");
      }
    }
    return text as T;
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>("GET", path, { query, signal });
  }

  post<T>(path: string, json?: unknown): Promise<T> {
    return this.request<T>("POST", path, { json: json ?? {} });
  }

  patch<T>(path: string, json: unknown): Promise<T> {
    return this.request<T>("PATCH", path, { json });
  }

  postCsv<T>(path: string, csv: string): Promise<T> {
    return this.request<T>("POST", path, { csv });
  }
}

/** The console's client (same origin as the page). */
export const api = new Client((input, init) => fetch(input, init));

/** The text to show for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
