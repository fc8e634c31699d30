// The driver page's REST client: the console's client (same-origin fetch with
// the session cookie, the hub's JSON errors as `ApiError`), bound to the
// driver endpoints the page calls.

import { ApiError, Client, errorMessage } from "../../../hq/src/api/client";
import type { BatchOutcome, DriverToday, LoginResponse, Me, PositionBatch, ShipmentJson } from "./types";

export { ApiError, Client, errorMessage };

/** The calls of the driver page. */
export class DriverApi {
  constructor(readonly client: Client) {}

  /** Log in (sets the session cookie). */
  login(username: string, password: string): Promise<LoginResponse> {
    return this.client.post<LoginResponse>("/auth/login", { username, password });
  }

  /** Log out (ends the session). */
  logout(): Promise<void> {
    return this.client.post<void>("/auth/logout");
  }

  /** Who is logged in (401 when nobody). */
  me(): Promise<Me> {
    return this.client.get<Me>("/auth/me");
  }

  /** The driver's shipments of today (and any still open). */
  today(): Promise<DriverToday> {
    return this.client.get<DriverToday>("/driver/today");
  }

  /** Start driving a shipment (idempotent). */
  start(shipment: string): Promise<ShipmentJson> {
    return this.client.post<ShipmentJson>(`/driver/shipments/${encodeURIComponent(shipment)}/start`);
  }

  /** Mark a stop as arrived (the driver's button). */
  arrive(shipment: string, store: string): Promise<ShipmentJson> {
    return this.client.post<ShipmentJson>(
      `/driver/shipments/${encodeURIComponent(shipment)}/stops/${encodeURIComponent(store)}/arrive`,
    );
  }

  /** Send buffered positions; 200 only after the hub stored them durably. */
  positions(batch: PositionBatch): Promise<BatchOutcome> {
    return this.client.post<BatchOutcome>("/driver/positions", batch);
  }
}

/** The page's client (same origin as the page). */
export const driverApi = new DriverApi(new Client((input, init) => fetch(input, init)));
