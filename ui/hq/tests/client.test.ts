import { describe, expect, it, vi } from "vitest";

import { ApiError, Client, errorFromResponse, withQuery } from "../src/api/client";

function respond(status: number, body: string, headers: Record<string, string> = {}) {
  return vi.fn(async () => new Response(body, { status, headers }));
}

describe("API client", () => {
  it("returns parsed JSON on success and sends JSON with the session cookie", async () => {
    const fetch = respond(200, '{"code":"GN01"}', { "content-type": "application/json" });
    const c = new Client(fetch);
    const v = await c.post<{ code: string }>("/stores", { code: "GN01" });
    expect(v.code).toBe("GN01");
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/api/v1/stores");
    expect(init.method).toBe("POST");
    expect(init.credentials).toBe("same-origin");
    expect((init.headers as Record<string, string>)["content-type"]).toBe("application/json");
    expect(init.body).toBe('{"code":"GN01"}');
  });

  it("turns the hub's JSON error into an ApiError with its code and message", async () => {
    const c = new Client(
      respond(400, '{"error":{"code":"invalid_input","message":"code must be 2-16 characters"}}', {
        "content-type": "application/json",
      }),
    );
    const e = await c.post("/stores", {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(400);
    expect((e as ApiError).code).toBe("invalid_input");
    expect((e as ApiError).message).toBe("code must be 2-16 characters");
  });

  it("reads retry_after_s of a throttled login", async () => {
    const c = new Client(
      respond(429, '{"error":{"code":"too_many_attempts","message":"too many attempts","retry_after_s":120}}'),
    );
    const e = (await c.post("/auth/login", {}).catch((x: unknown) => x)) as ApiError;
    expect(e.code).toBe("too_many_attempts");
    expect(e.retryAfterS).toBe(120);
  });

  it("keeps a plain-text error readable and hides HTML bodies", async () => {
    const text = await errorFromResponse(new Response("database is locked", { status: 503, statusText: "Service Unavailable" }));
    expect(text.code).toBe("http_503");
    expect(text.message).toBe("database is locked");
    const html = await errorFromResponse(new Response("<html><body>Bad gateway</body></html>", { status: 502, statusText: "Bad Gateway" }));
    expect(html.message).toBe("Bad Gateway");
  });

  it("reports a network failure as code network, status 0", async () => {
    const c = new Client(vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    }));
    const e = (await c.get("/stores").catch((x: unknown) => x)) as ApiError;
    expect(e.status).toBe(0);
    expect(e.code).toBe("network");
  });

  it("calls onUnauthorized on 401, but not for a failed login", async () => {
    const c = new Client(respond(401, '{"error":{"code":"unauthorized","message":"log in first"}}'));
    const seen = vi.fn();
    c.onUnauthorized = seen;
    await c.get("/tills").catch(() => undefined);
    expect(seen).toHaveBeenCalledTimes(1);
    await c.post("/auth/login", {}).catch(() => undefined);
    expect(seen).toHaveBeenCalledTimes(1);
  });

  it("knows a missing endpoint and returns undefined for 204", async () => {
    const missing = (await new Client(respond(404, '{"error":{"code":"not_found","message":"no such endpoint"}}'))
      .get("/dashboard")
      .catch((x: unknown) => x)) as ApiError;
    expect(missing.isMissingEndpoint).toBe(true);
    const none = await new Client(vi.fn(async () => new Response(null, { status: 204 }))).post("/auth/logout");
    expect(none).toBeUndefined();
  });

  it("builds query strings without empty values", () => {
    expect(withQuery("/sales", { store: "GN01", from: "", to: null, limit: 50, x: undefined })).toBe("/sales?store=GN01&limit=50");
    expect(withQuery("/inventory/matrix", { stores: ["GN01", "HD02"], only: [] })).toBe("/inventory/matrix?stores=GN01%2CHD02");
    expect(withQuery("/stores")).toBe("/stores");
  });
});
