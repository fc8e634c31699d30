// REST calls of the Replenishment, Shipments and Live map pages (issue 5
// contract, "Hub REST"), all relative to /api/v1.

import { api } from "../api/client";
import type { User } from "../api/types/User";
import type {
  CreateShipment,
  DispatchShipment,
  LiveDriverJson,
  MapSettings,
  OrderJson,
  OrderLine,
  PlaceOrder,
  ReceivingJson,
  ShipmentJson,
  StoreLocation,
  TrackJson,
} from "./types";

const seg = encodeURIComponent;

/** Filters of the order list (empty = all the user may see). */
export interface OrderFilter {
  store?: string;
  status?: string;
}

export const logisticsApi = {
  orders: (f: OrderFilter = {}, signal?: AbortSignal) =>
    api.get<OrderJson[]>("/replenishment/orders", { store: f.store, status: f.status }, signal),
  order: (id: string, signal?: AbortSignal) => api.get<OrderJson>(`/replenishment/orders/${seg(id)}`, undefined, signal),
  placeOrder: (body: PlaceOrder) => api.post<OrderJson>("/replenishment/orders", body),
  propose: (stores?: string[]) => api.post<OrderJson[]>("/replenishment/proposals", stores && stores.length ? { stores } : {}),
  approve: (id: string, lines?: OrderLine[]) =>
    api.post<OrderJson>(`/replenishment/orders/${seg(id)}/approve`, lines ? { lines } : {}),
  cancelOrder: (id: string, note?: string) =>
    api.post<OrderJson>(`/replenishment/orders/${seg(id)}/cancel`, note ? { note } : {}),

  shipments: (f: { status?: string; date?: string } = {}, signal?: AbortSignal) =>
    api.get<ShipmentJson[]>("/shipments", { status: f.status, date: f.date }, signal),
  shipment: (id: string, signal?: AbortSignal) => api.get<ShipmentJson>(`/shipments/${seg(id)}`, undefined, signal),
  createShipment: (body: CreateShipment) => api.post<ShipmentJson>("/shipments", body),
  pick: (id: string) => api.post<ShipmentJson>(`/shipments/${seg(id)}/pick`),
  dispatch: (id: string, body: DispatchShipment) => api.post<ShipmentJson>(`/shipments/${seg(id)}/dispatch`, body),
  cancelShipment: (id: string) => api.post<ShipmentJson>(`/shipments/${seg(id)}/cancel`),
  arrive: (id: string, store: string) => api.post<ShipmentJson>(`/shipments/${seg(id)}/stops/${seg(store)}/arrive`),

  receivings: (f: { store?: string; discrepancies?: boolean } = {}, signal?: AbortSignal) =>
    api.get<ReceivingJson[]>("/receivings", { store: f.store, discrepancies: f.discrepancies ? "true" : undefined }, signal),

  location: (store: string, signal?: AbortSignal) => api.get<StoreLocation>(`/stores/${seg(store)}/location`, undefined, signal),
  setLocation: (store: string, body: { lat: number; lon: number; geofence_m: number }) =>
    api.patch<StoreLocation>(`/stores/${seg(store)}/location`, body),

  mapSettings: (signal?: AbortSignal) => api.get<MapSettings>("/map/settings", undefined, signal),
  liveDrivers: (signal?: AbortSignal) => api.get<LiveDriverJson[]>("/drivers/live", undefined, signal),
  shipmentTrack: (id: string, signal?: AbortSignal) => api.get<TrackJson>(`/shipments/${seg(id)}/track`, undefined, signal),
  driverTrack: (driver: string, fromMs: number, signal?: AbortSignal) =>
    api.get<TrackJson>(`/drivers/${seg(driver)}/track`, { from_ms: fromMs }, signal),

  /** Active driver accounts (the users API, filtered to role `driver`). */
  drivers: (signal?: AbortSignal) =>
    api.get<User[]>("/users", undefined, signal).then((all) => all.filter((u) => u.role === "driver" && u.active)),
};
