// The hub's logistics shapes as the console uses them (issue 5: replenishment,
// shipments, receiving, live driver GPS): the generated ts-rs types
// (ui/hq/src/api/types, from hub-server/src/logistics.rs, gps.rs, api/gps.rs,
// api/logistics.rs and sync-proto) under the names the pages import. Never
// hand-edit the generated files.

import type { ShipmentJson } from "../api/types/ShipmentJson";
import type { OrderJson } from "../api/types/OrderJson";
import type { LivePosition } from "../api/types/LivePosition";

export type { GpsPoint } from "../api/types/GpsPoint";
export type { Lifecycle } from "../api/types/Lifecycle";
export type { OrderOrigin } from "../api/types/OrderOrigin";
export type { LineJson as OrderLine } from "../api/types/LineJson";
export type { OrderJson } from "../api/types/OrderJson";
export type { ReceivingLineJson } from "../api/types/ReceivingLineJson";
export type { ReceivingJson } from "../api/types/ReceivingJson";
export type { StopJson } from "../api/types/StopJson";
export type { ShipmentJson } from "../api/types/ShipmentJson";
export type { LiveDriverJson } from "../api/types/LiveDriverJson";
export type { TrackJson } from "../api/types/TrackJson";
export type { MapSettings } from "../api/types/MapSettings";
export type { StoreLocation } from "../api/types/StoreLocation";
export type { EtaJson as StopEta } from "../api/types/EtaJson";
export type { LivePosition } from "../api/types/LivePosition";
export type { PlaceOrder } from "../api/types/PlaceOrder";
export type { CreateShipment } from "../api/types/CreateShipment";
export type { DispatchShipment } from "../api/types/DispatchShipment";
export type { PatchStoreLocation } from "../api/types/PatchStoreLocation";

/** The live socket's logistics messages (arms of the generated `Event`). */
export type PositionsEvent = { type: "positions"; points: LivePosition[] };
export type ShipmentEvent = { type: "shipment"; shipment: ShipmentJson };
export type OrderEvent = { type: "order"; order: OrderJson };
export type LogisticsEvent = PositionsEvent | ShipmentEvent | OrderEvent;
